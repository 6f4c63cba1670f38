using Sandrun.Receipts;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Broker.Contracts;
using Sandrun.Broker.Storage;

namespace Sandrun.Broker.Api;

/// <summary>
/// The node protocol (paths as the original broker's): register with a proved key, long-poll claims, the claimed
/// job's input, heartbeats that renew the lease, and completions fenced by the lease token with a verified receipt.
/// </summary>
internal static partial class NodeEndpoints
{
    private const int MaxRegisterBytes = 64 * 1024;
    private static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(2);

    public static async Task<IResult> RegisterAsync(HttpContext context, IBrokerStore store, IOptions<BrokerOptions> options, TimeProvider time, BrokerMetrics metrics)
    {
        var (request, problem) = await BrokerJson.ReadAsync(context.Request, BrokerJson.Types.RegisterRequest, MaxRegisterBytes).ConfigureAwait(false);
        if (request is null)
        {
            return problem!;
        }

        if (request.NodeId is null)
        {
            if (request.WorkerId is not { Length: 44 } || !WorkerChallenge.IsWorkerId(request.WorkerId))
            {
                return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid registration", "worker_id: the standard Base64 of the node's 32-byte Ed25519 public key is required");
            }

            if (request.Slots is < 1 or > 1024)
            {
                return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid registration", "slots: must be from 1 to 1024");
            }

            if (request.Endpoint is { Length: > 512 })
            {
                return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid registration", "endpoint: at most 512 characters");
            }

            var nodeId = "node-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
            var challenge = WorkerChallenge.Create();
            var capabilities = request.Capabilities is { ValueKind: JsonValueKind.Object } c ? c.GetRawText() : "{}";
            if (capabilities.Length > 16 * 1024)
            {
                return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid registration", "capabilities: at most 16 KiB of JSON");
            }

            await store.AddNodeChallengeAsync(
                new NodeChallenge(nodeId, request.WorkerId!, challenge, request.Endpoint, capabilities, request.Slots ?? 1, time.GetUtcNow() + ChallengeLifetime),
                context.RequestAborted).ConfigureAwait(false);
            return BrokerJson.Ok(new RegisterChallengeResponse(nodeId, challenge, "Ed25519"), BrokerJson.Types.RegisterChallengeResponse);
        }

        if (request.Challenge is null || request.Signature is null || request.WorkerId is null)
        {
            return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid registration", "node_id, worker_id, challenge and signature are required to answer a challenge");
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        if (!WorkerChallenge.Verify(request.Challenge, request.Signature, request.WorkerId)
            || !await store.ConfirmNodeAsync(request.NodeId, request.Challenge, request.WorkerId, NodeAuthentication.Hash(token), context.RequestAborted).ConfigureAwait(false))
        {
            metrics.Refused("challenge_failed");
            return BrokerJson.Error(StatusCodes.Status401Unauthorized, "registration refused", "the signature does not prove the key for a live challenge (challenges expire after 2 minutes and are used once)");
        }

        return BrokerJson.Ok(new RegisterResponse(request.NodeId, token, options.Value.LeaseSeconds), BrokerJson.Types.RegisterResponse);
    }

    public static async Task<IResult> ClaimAsync(HttpContext context, IBrokerStore store, BrokerWakeup wakeup, BrokerMetrics metrics, IOptions<BrokerOptions> options, TimeProvider time)
    {
        var (node, refusal) = await NodeAuthentication.AuthenticateAsync(context.Request, store, metrics).ConfigureAwait(false);
        if (node is null)
        {
            return refusal!;
        }

        var (request, problem) = await BrokerJson.ReadAsync(context.Request, BrokerJson.Types.ClaimRequest, 4096, optional: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var settings = options.Value;
        if (request?.Wait is < 0)
        {
            return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid claim", "wait: must not be negative");
        }

        var lease = TimeSpan.FromSeconds(settings.LeaseSeconds);
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(Math.Min(request?.Wait ?? settings.MaxClaimWaitSeconds, settings.MaxClaimWaitSeconds));
        var cancellation = context.RequestAborted;
        while (true)
        {
            // Taken before looking: a submission between the look and the wait still wakes this claim.
            var next = wakeup.Next;
            if (await store.ClaimAsync(node.NodeId, lease, cancellation).ConfigureAwait(false) is { } claimed)
            {
                metrics.Claimed();
                var input = $"input/{claimed.JobId}?lease_token={claimed.LeaseToken}";
                return BrokerJson.Ok(
                    new ClaimResponse(new ClaimedJob(claimed.JobId, claimed.LeaseToken, claimed.Attempt, claimed.JobHash, claimed.Manifest, settings.LeaseSeconds, input)),
                    BrokerJson.Types.ClaimResponse);
            }

            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return BrokerJson.Ok(new ClaimResponse(null), BrokerJson.Types.ClaimResponse);
            }

            // The wake-up is a hint: the poll interval bounds the wait whatever happens to it.
            try
            {
                await wakeup.WaitAsync(next, remaining < settings.SweepInterval ? remaining : settings.SweepInterval, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return Results.Empty;
            }
        }
    }

    public static async Task<IResult> InputAsync(HttpContext context, string jobId, [FromQuery(Name = "lease_token")] long? leaseToken, IBrokerStore store, BrokerMetrics metrics)
    {
        var (node, refusal) = await NodeAuthentication.AuthenticateAsync(context.Request, store, metrics).ConfigureAwait(false);
        if (node is null)
        {
            return refusal!;
        }

        var job = await store.GetAsync(jobId, context.RequestAborted).ConfigureAwait(false);
        if (job is null || job.State != BrokerStates.Running || job.NodeId != node.NodeId || job.LeaseToken != leaseToken)
        {
            return BrokerJson.Error(StatusCodes.Status409Conflict, "lease not held", $"this node holds no lease {leaseToken} on '{BrokerJson.Shorten(jobId)}'");
        }

        var input = await store.ReadInputAsync(jobId, context.RequestAborted).ConfigureAwait(false);
        return input is null ? BrokerJson.NotFound(jobId) : TypedResults.File(input, "application/gzip", jobId + ".tar.gz");
    }

    public static async Task<IResult> HeartbeatAsync(HttpContext context, IBrokerStore store, BrokerMetrics metrics, IOptions<BrokerOptions> options)
    {
        var (node, refusal) = await NodeAuthentication.AuthenticateAsync(context.Request, store, metrics).ConfigureAwait(false);
        if (node is null)
        {
            return refusal!;
        }

        var (request, problem) = await BrokerJson.ReadAsync(context.Request, BrokerJson.Types.HeartbeatRequest, 4096, optional: true).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var seconds = options.Value.LeaseSeconds;
        if (request?.JobId is { } jobId)
        {
            if (request.LeaseToken is not { } token)
            {
                return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid heartbeat", "lease_token: required with job_id");
            }

            if (!await store.HeartbeatAsync(jobId, node.NodeId, token, TimeSpan.FromSeconds(seconds), context.RequestAborted).ConfigureAwait(false))
            {
                metrics.Refused("lease_lost");
                return BrokerJson.Error(StatusCodes.Status409Conflict, "lease lost", $"this node no longer holds lease {token} on '{BrokerJson.Shorten(jobId)}'; stop running it");
            }
        }

        return BrokerJson.Ok(new HeartbeatResponse("ok", seconds), BrokerJson.Types.HeartbeatResponse);
    }

    public static async Task<IResult> CompleteAsync(HttpContext context, IBrokerStore store, BrokerMetrics metrics, IOptions<BrokerOptions> options, ILoggerFactory loggers)
    {
        var (node, refusal) = await NodeAuthentication.AuthenticateAsync(context.Request, store, metrics).ConfigureAwait(false);
        if (node is null)
        {
            return refusal!;
        }

        var settings = options.Value;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = settings.MaxResultBytes;
        }

        CompletionReport? report;
        byte[]? outputs;
        try
        {
            (report, outputs, var problem) = await ReadCompletionAsync(context.Request, settings.MaxResultBytes).ConfigureAwait(false);
            if (report is null)
            {
                return problem!;
            }
        }
        catch (BadHttpRequestException e)
        {
            return BrokerJson.Error(e.StatusCode, "invalid completion", e.Message);
        }

        if (report.Status is not (BrokerStates.Completed or BrokerStates.Failed))
        {
            return BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid completion", "status: must be completed or failed");
        }

        var job = await store.GetAsync(report.JobId, context.RequestAborted).ConfigureAwait(false);
        if (job is null)
        {
            return BrokerJson.NotFound(report.JobId);
        }

        if (job.State != BrokerStates.Running || job.NodeId != node.NodeId || job.LeaseToken != report.LeaseToken)
        {
            metrics.Refused("stale_lease");
            return StaleLease(report);
        }

        var receiptProblem = CompletionCheck.Problem(report, job, node, outputs, settings.MaxResultBytes);
        var worker = report.Receipt is not null && report.Signature is not null
            ? new WorkerMetadata(node.WorkerId, "Ed25519", report.Receipt, report.Signature)
            : WorkerMetadata.Unsigned;
        BrokerResult result;
        if (receiptProblem is null)
        {
            var detail = new StoredResultDetail(report.ExecutionMetadata, report.OutputFiles ?? new Dictionary<string, OutputFileEntry>(), worker, report.Error);
            result = new BrokerResult(report.Status, report.ExitCode, report.FailureReason, JsonSerializer.Serialize(detail, BrokerJson.Types.StoredResultDetail),
                Encoding.UTF8.GetBytes(report.Stdout), Encoding.UTF8.GetBytes(report.Stderr), outputs);
        }
        else
        {
            // An unverified result is never reported completed (SPEC.md §7's rule, kept by the broker).
            LogReceiptRejected(loggers.CreateLogger("Sandrun.Broker.Completions"), report.JobId, node.NodeId, receiptProblem);
            var detail = new StoredResultDetail(report.ExecutionMetadata, new Dictionary<string, OutputFileEntry>(), worker, "receipt rejected: " + receiptProblem);
            result = new BrokerResult(BrokerStates.Failed, report.ExitCode, "receipt_invalid", JsonSerializer.Serialize(detail, BrokerJson.Types.StoredResultDetail), [], [], null);
        }

        var outcome = await store.CompleteAsync(report.JobId, node.NodeId, report.LeaseToken, result, settings.ResultTtl, context.RequestAborted).ConfigureAwait(false);
        switch (outcome)
        {
            case CompletionOutcome.Completed:
                metrics.Finished(result.Status, result.FailureReason);
                return receiptProblem is null
                    ? BrokerJson.Ok(new CompleteResponse(report.JobId, result.Status, true), BrokerJson.Types.CompleteResponse)
                    : BrokerJson.Error(StatusCodes.Status422UnprocessableEntity, "receipt invalid", receiptProblem + "; the job ends failed with receipt_invalid");
            case CompletionOutcome.NotFound:
                return BrokerJson.NotFound(report.JobId);
            default:
                metrics.Refused("stale_lease");
                return StaleLease(report);
        }
    }

    private static IResult StaleLease(CompletionReport report) =>
        BrokerJson.Error(StatusCodes.Status409Conflict, "stale lease", $"lease {report.LeaseToken} on '{BrokerJson.Shorten(report.JobId)}' is not this node's current lease; nothing was changed");

    /// <summary>
    /// The completion: multipart with a <c>result</c> JSON part and an optional <c>outputs</c> tar.gz part, or a plain
    /// JSON body (a result without outputs).
    /// </summary>
    private static async Task<(CompletionReport? Report, byte[]? Outputs, IResult? Problem)> ReadCompletionAsync(HttpRequest request, long maxBytes)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var (plain, problem) = await BrokerJson.ReadAsync(request, BrokerJson.Types.CompletionReport, maxBytes).ConfigureAwait(false);
            return (plain, null, problem);
        }

        if (HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return (null, null, BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid completion", "multipart/form-data without a boundary"));
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        CompletionReport? report = null;
        byte[]? outputs = null;
        long total = 0;
        while (await reader.ReadNextSectionAsync(request.HttpContext.RequestAborted).ConfigureAwait(false) is { } section)
        {
            var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ? HeaderUtilities.RemoveQuotes(disposition.Name).Value : null;
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int n;
            while ((n = await section.Body.ReadAsync(chunk, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
            {
                total += n;
                if (total > maxBytes)
                {
                    return (null, null, BrokerJson.Error(StatusCodes.Status413PayloadTooLarge, "result too large", $"a completion is at most {maxBytes} bytes"));
                }

                buffer.Write(chunk, 0, n);
            }

            switch (name)
            {
                case "result":
                    try
                    {
                        report = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), BrokerJson.Types.CompletionReport);
                    }
                    catch (JsonException e)
                    {
                        return (null, null, BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid completion", $"result{e.Path?.TrimStart('$')}: {e.Message.Split('.')[0]}"));
                    }

                    break;
                case "outputs":
                    outputs = buffer.ToArray();
                    break;
                default:
                    return (null, null, BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid completion", $"unknown part '{BrokerJson.Shorten(name ?? "")}' (expected 'result' and 'outputs')"));
            }
        }

        return report is null
            ? (null, null, BrokerJson.Error(StatusCodes.Status400BadRequest, "invalid completion", "result: required (a JSON part)"))
            : (report, outputs, null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the result from node {NodeId} was rejected: {Problem}")]
    private static partial void LogReceiptRejected(ILogger logger, string jobId, string nodeId, string problem);
}
