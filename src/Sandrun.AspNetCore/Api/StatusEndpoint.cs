using Microsoft.AspNetCore.Mvc;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /status/{id} (SPEC.md §2), field names exact.</summary>
internal static class StatusEndpoint
{
    public static IResult Get(string jobId, JobEngine engine, [FromServices] IResultSigner? signer) =>
        engine.TryGet(jobId, out var job)
            ? ApiJson.Ok(For(job, engine.PositionOf(jobId), signer), SandrunJsonContext.Default.StatusResponse)
            : Downloads.NotFound(jobId);

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
