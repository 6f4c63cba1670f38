using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Hosting;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// GET /status/{id} (SPEC.md §2), field names exact. With <c>?wait=S</c> (see <see cref="SandrunStatusWait"/>) the
/// answer for an unfinished job waits until it ends or S seconds have passed: a follower (the pool, a script) learns of
/// the end at once with one request instead of polling.
/// </summary>
internal static class StatusEndpoint
{
    public static async Task<IResult> Get(HttpContext context, string jobId, JobEngine engine, IHostApplicationLifetime lifetime, [FromServices] IResultSigner? signer)
    {
        if (!SandrunStatusWait.TryParse(context.Request.Query["wait"].ToString(), out var wait, out var error))
        {
            return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid wait", error!);
        }

        if (!engine.TryGet(jobId, out var job))
        {
            return Downloads.NotFound(jobId);
        }

        if (wait > TimeSpan.Zero && !job.IsFinished)
        {
            await SandrunStatusWait.HoldAsync(job.Completion, wait, context.RequestAborted, lifetime.ApplicationStopping).ConfigureAwait(false);
        }

        return ApiJson.Ok(For(job, engine.PositionOf(jobId), signer), SandrunJsonContext.Default.StatusResponse);
    }

    private static StatusResponse For(Job job, int queuePosition, IResultSigner? signer)
    {
        var result = job.Result;
        return new StatusResponse(
            job.Id,
            FailureNames.For(job.Status),
            queuePosition,
            FailureNames.For(job.FailureReason),
            new ExecutionMetadata(
                result is null ? null : FailureNames.CpuSeconds(result.CpuTime),
                result?.MemoryPeakBytes,
                result is null ? null : FailureNames.WallMilliseconds(result.WallTime),
                result?.ExitCode,
                result?.Signal,
                job.Manifest.Environment,
                job.Manifest.Interpreter),
            job.JobHash,
            job.Outputs.ToDictionary(o => o.Path, o => new OutputFileEntry(o.Path, o.SizeBytes, o.Sha256, o.Type), StringComparer.Ordinal),
            WorkerMetadata.Of(job, signer) ?? WorkerMetadata.Unsigned,
            job.SetupError,
            job.Notes);
    }
}
