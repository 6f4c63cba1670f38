using System.Text.Json.Serialization;
using Sandrun.AspNetCore.Contracts;

namespace Sandrun.Broker.Contracts;

/// <summary><c>POST /submit</c>'s answer: the broker's job id; the job is queued (durably stored).</summary>
public sealed record BrokerSubmitResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status);

/// <summary><c>GET /status/{id}</c>: SPEC.md §2's fields plus <c>attempts</c> and <c>node_id</c>.</summary>
public sealed record BrokerStatusResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("queue_position")] long QueuePosition,
    [property: JsonPropertyName("failure_reason")] string? FailureReason,
    [property: JsonPropertyName("execution_metadata")] ExecutionMetadata? ExecutionMetadata,
    [property: JsonPropertyName("job_hash")] string JobHash,
    [property: JsonPropertyName("output_files")] IReadOnlyDictionary<string, OutputFileEntry> OutputFiles,
    [property: JsonPropertyName("worker_metadata")] WorkerMetadata WorkerMetadata,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("node_id")] string? NodeId,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("submitted_at")] DateTimeOffset SubmittedAt,
    [property: JsonPropertyName("finished_at")] DateTimeOffset? FinishedAt);

/// <summary>
/// <c>GET /results/{id}</c> once the job has ended; <c>output</c>/<c>error</c> repeat stdout/stderr under the original
/// broker's names, so its clients work unchanged.
/// </summary>
public sealed record BrokerResultsResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("failure_reason")] string? FailureReason,
    [property: JsonPropertyName("stdout")] string Stdout,
    [property: JsonPropertyName("stderr")] string Stderr,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("outputs")] IReadOnlyDictionary<string, OutputFileEntry> Outputs,
    [property: JsonPropertyName("worker_metadata")] WorkerMetadata WorkerMetadata,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("node_id")] string? NodeId);

/// <summary><c>GET /results/{id}</c> (202) while the job has not ended.</summary>
public sealed record BrokerPendingResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status);

/// <summary><c>GET /nodes</c>.</summary>
public sealed record BrokerNodesResponse([property: JsonPropertyName("nodes")] IReadOnlyList<BrokerNodeEntry> Nodes);

/// <summary>One registered node.</summary>
public sealed record BrokerNodeEntry(
    [property: JsonPropertyName("node_id")] string NodeId,
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("endpoint")] string? Endpoint,
    [property: JsonPropertyName("slots")] int Slots,
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("registered_at")] DateTimeOffset RegisteredAt,
    [property: JsonPropertyName("last_seen")] DateTimeOffset LastSeen,
    [property: JsonPropertyName("jobs_completed")] long JobsCompleted,
    [property: JsonPropertyName("jobs_failed")] long JobsFailed);

/// <summary><c>GET /health</c>: the broker answers and its store works.</summary>
public sealed record BrokerHealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("store")] string Store,
    [property: JsonPropertyName("queued")] long Queued,
    [property: JsonPropertyName("running")] long Running);

/// <summary>What the broker keeps of a result besides the logs and the outputs archive.</summary>
public sealed record StoredResultDetail(
    [property: JsonPropertyName("execution_metadata")] ExecutionMetadata? ExecutionMetadata,
    [property: JsonPropertyName("output_files")] IReadOnlyDictionary<string, OutputFileEntry> OutputFiles,
    [property: JsonPropertyName("worker_metadata")] WorkerMetadata WorkerMetadata,
    [property: JsonPropertyName("error")] string? Error);
