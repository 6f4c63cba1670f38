using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sandrun.AspNetCore;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Broker.Contracts;
using Sandrun.Broker.Intake;
using Sandrun.Broker.Storage;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.Broker.Api;

/// <summary>The client side of the broker (SPEC.md §8): submit, status, results, outputs, nodes, health.</summary>
internal static partial class ClientEndpoints
{
    public static async Task<IResult> SubmitAsync(HttpContext context, IBrokerStore store, SubmissionValidator validator, BrokerMetrics metrics, IOptions<BrokerOptions> options)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = validator.MaxUploadBytes + (2 << 20);
        }

        try
        {
            IReadOnlyList<UploadPart> parts;
            string? manifest;
            if (MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                (parts, manifest) = await CodeSubmission.ReadAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
            }
            else
            {
                (parts, manifest) = await SandrunSubmissionForm.ReadAsync(context.Request, validator.MaxUploadBytes, context.RequestAborted).ConfigureAwait(false);
            }

            var submission = await validator.ValidateAsync(parts, manifest, context.RequestAborted).ConfigureAwait(false);
            var id = JobStore.NewId();
            await store.SubmitAsync(new NewBrokerJob(id, submission.JobHash, submission.Manifest, submission.Input, options.Value.MaxAttempts), context.RequestAborted).ConfigureAwait(false);
            metrics.Submitted();
            return BrokerJson.Ok(new BrokerSubmitResponse(id, BrokerStates.Queued), BrokerJson.Types.BrokerSubmitResponse);
        }
        catch (SubmitException e)
        {
            metrics.Refused(e.Kind.ToString());
            return SandrunSubmissionForm.Refuse(e);
        }
        catch (BadHttpRequestException e)
        {
            metrics.Refused("bad_request");
            return SandrunSubmissionForm.Refuse(new SubmitException(
                e.StatusCode == StatusCodes.Status413PayloadTooLarge ? SubmitRefusal.UploadTooLarge : SubmitRefusal.InvalidUpload, e.Message));
        }
        catch (IOException e) when (e.InnerException is null && !context.RequestAborted.IsCancellationRequested)
        {
            metrics.Refused("bad_request");
            return SandrunSubmissionForm.Refuse(new SubmitException(SubmitRefusal.InvalidUpload, e.Message));
        }
    }

    public static async Task<IResult> StatusAsync(string jobId, IBrokerStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is not { } job)
        {
            return BrokerJson.NotFound(jobId);
        }

        var detail = await DetailAsync(store, job, cancellationToken).ConfigureAwait(false);
        var position = job.State == BrokerStates.Queued ? await store.QueuePositionAsync(jobId, cancellationToken).ConfigureAwait(false) : 0;
        return BrokerJson.Ok(
            new BrokerStatusResponse(
                job.Id, job.State, position, job.FailureReason, detail?.ExecutionMetadata, job.JobHash,
                detail?.OutputFiles ?? new Dictionary<string, OutputFileEntry>(), detail?.WorkerMetadata ?? WorkerMetadata.Unsigned,
                job.Attempts, job.NodeId, detail?.Error ?? job.LastError, job.CreatedAt, job.FinishedAt),
            BrokerJson.Types.BrokerStatusResponse);
    }

    public static async Task<IResult> ResultsAsync(string jobId, IBrokerStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is not { } job)
        {
            return BrokerJson.NotFound(jobId);
        }

        if (!job.IsFinished)
        {
            return BrokerJson.Ok(new BrokerPendingResponse(job.Id, job.State), BrokerJson.Types.BrokerPendingResponse, StatusCodes.Status202Accepted);
        }

        var result = await store.GetResultAsync(jobId, cancellationToken).ConfigureAwait(false);
        var detail = result is null ? null : Parse(result.Detail);
        var stdout = result is null ? string.Empty : Encoding.UTF8.GetString(result.Stdout);
        var stderr = result is null ? string.Empty : Encoding.UTF8.GetString(result.Stderr);
        return BrokerJson.Ok(
            new BrokerResultsResponse(
                job.Id, job.State, job.ExitCode, job.FailureReason, stdout, stderr, stdout, stderr,
                detail?.OutputFiles ?? new Dictionary<string, OutputFileEntry>(), detail?.WorkerMetadata ?? WorkerMetadata.Unsigned, job.Attempts, job.NodeId),
            BrokerJson.Types.BrokerResultsResponse);
    }

    public static async Task<IResult> DownloadAsync(string jobId, IBrokerStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(jobId, cancellationToken).ConfigureAwait(false) is not { } job)
        {
            return BrokerJson.NotFound(jobId);
        }

        if (!job.IsFinished)
        {
            return BrokerJson.Error(StatusCodes.Status409Conflict, "job not finished", $"{jobId} is {job.State}; outputs are available when it has finished");
        }

        var result = await store.GetResultAsync(jobId, cancellationToken).ConfigureAwait(false);
        return result?.Outputs is { } archive
            ? TypedResults.File(archive, "application/gzip", jobId + ".tar.gz")
            : BrokerJson.Error(StatusCodes.Status404NotFound, "no outputs", $"{jobId} has no output files");
    }

    public static async Task<IResult> NodesAsync(IBrokerStore store, IOptions<BrokerOptions> options, TimeProvider time, CancellationToken cancellationToken)
    {
        var nodes = await store.ListNodesAsync(cancellationToken).ConfigureAwait(false);
        // An idle node calls at least once per claim wait; a busy one at least once per third of a lease.
        var silence = TimeSpan.FromSeconds(options.Value.LeaseSeconds + options.Value.MaxClaimWaitSeconds + 5);
        var now = time.GetUtcNow();
        return BrokerJson.Ok(
            new BrokerNodesResponse([.. nodes.Select(n => new BrokerNodeEntry(n.NodeId, n.WorkerId, n.Endpoint, n.Slots, now - n.LastSeen <= silence, n.RegisteredAt, n.LastSeen, n.Completed, n.Failed))]),
            BrokerJson.Types.BrokerNodesResponse);
    }

    public static async Task<IResult> HealthAsync(IBrokerStore store, CancellationToken cancellationToken)
    {
        var (queued, running) = await store.CountAsync(cancellationToken).ConfigureAwait(false);
        return BrokerJson.Ok(new BrokerHealthResponse("healthy", "broker", store is PostgresBrokerStore ? "postgresql" : "sqlite", queued, running), BrokerJson.Types.BrokerHealthResponse);
    }

    private static async Task<StoredResultDetail?> DetailAsync(IBrokerStore store, BrokerJobRecord job, CancellationToken cancellationToken) =>
        job.IsFinished && await store.GetResultDetailAsync(job.Id, cancellationToken).ConfigureAwait(false) is { } detail ? Parse(detail) : null;

    private static StoredResultDetail? Parse(string detail) => JsonSerializer.Deserialize(detail, BrokerJson.Types.StoredResultDetail);
}
