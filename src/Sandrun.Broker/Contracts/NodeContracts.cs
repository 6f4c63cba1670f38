using System.Text.Json;
using System.Text.Json.Serialization;
using Sandrun.AspNetCore.Contracts;

namespace Sandrun.Broker.Contracts;

/// <summary>
/// <c>POST /register</c>, two steps: first <c>worker_id</c> (+ <c>endpoint</c>, <c>capabilities</c>, <c>slots</c>) to get a
/// challenge; then <c>node_id</c>, <c>challenge</c> and <c>signature</c> to prove the key and get the node's token.
/// </summary>
public sealed record RegisterRequest(
    [property: JsonPropertyName("worker_id")] string? WorkerId,
    [property: JsonPropertyName("endpoint")] string? Endpoint,
    [property: JsonPropertyName("capabilities")] JsonElement? Capabilities,
    [property: JsonPropertyName("slots")] int? Slots,
    [property: JsonPropertyName("node_id")] string? NodeId,
    [property: JsonPropertyName("challenge")] string? Challenge,
    [property: JsonPropertyName("signature")] string? Signature);

/// <summary>The first registration step's answer: sign <c>challenge</c> (SPEC.md §7) and send it back.</summary>
public sealed record RegisterChallengeResponse(
    [property: JsonPropertyName("node_id")] string NodeId,
    [property: JsonPropertyName("challenge")] string Challenge,
    [property: JsonPropertyName("algorithm")] string Algorithm);

/// <summary>A registered node's credentials: <c>Authorization: Bearer token</c> on every node call.</summary>
public sealed record RegisterResponse(
    [property: JsonPropertyName("node_id")] string NodeId,
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("lease_seconds")] int LeaseSeconds);

/// <summary><c>POST /claim</c>: wait up to <c>wait</c> seconds for a job (long poll).</summary>
public sealed record ClaimRequest([property: JsonPropertyName("wait")] int? Wait);

/// <summary><c>POST /claim</c>'s answer; <c>job</c> is null when none came within the wait.</summary>
public sealed record ClaimResponse([property: JsonPropertyName("job")] ClaimedJob? Job);

/// <summary>A claimed job and its lease.</summary>
public sealed record ClaimedJob(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("lease_token")] long LeaseToken,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("job_hash")] string JobHash,
    [property: JsonPropertyName("manifest")] string Manifest,
    [property: JsonPropertyName("lease_seconds")] int LeaseSeconds,
    [property: JsonPropertyName("input_url")] string InputUrl);

/// <summary><c>POST /heartbeat</c>: renew the lease on a job (or, without one, say the node is alive).</summary>
public sealed record HeartbeatRequest(
    [property: JsonPropertyName("job_id")] string? JobId,
    [property: JsonPropertyName("lease_token")] long? LeaseToken);

/// <summary><c>POST /heartbeat</c>'s answer.</summary>
public sealed record HeartbeatResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("lease_seconds")] int LeaseSeconds);

/// <summary>
/// <c>POST /complete</c>'s <c>result</c> part: the job's result as the node's engine reported it, fenced by
/// <c>lease_token</c>, with the node's signed receipt. The outputs travel as the <c>outputs</c> tar.gz part.
/// </summary>
public sealed record CompletionReport(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("lease_token")] long LeaseToken,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("failure_reason")] string? FailureReason,
    [property: JsonPropertyName("stdout")] string Stdout,
    [property: JsonPropertyName("stderr")] string Stderr,
    [property: JsonPropertyName("execution_metadata")] ExecutionMetadata? ExecutionMetadata,
    [property: JsonPropertyName("output_files")] IReadOnlyDictionary<string, OutputFileEntry>? OutputFiles,
    [property: JsonPropertyName("receipt")] string? Receipt,
    [property: JsonPropertyName("signature")] string? Signature,
    [property: JsonPropertyName("error")] string? Error);

/// <summary><c>POST /complete</c>'s answer.</summary>
public sealed record CompleteResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("receipt_verified")] bool ReceiptVerified);
