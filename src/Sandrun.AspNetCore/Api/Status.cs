using Sandrun.Abstractions;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /status/{id} body (SPEC.md §2), field names exact.</summary>
internal static class Status
{
    public static object For(Job job, int queuePosition, IResultSigner? signer)
    {
        var result = job.Result;
        return new StatusBody(
            job.Id,
            job.Status.ToString().ToLowerInvariant(),
            queuePosition,
            FailureName(job.FailureReason),
            new ExecutionMetadata(
                result is null ? null : Math.Round(result.CpuTime.TotalSeconds, 6),
                result?.MemoryPeakBytes,
                result is null ? null : (long)Math.Round(result.WallTime.TotalMilliseconds),
                result?.ExitCode,
                result?.Signal,
                job.Manifest.Environment,
                job.Manifest.Interpreter),
            null,
            job.Outputs.ToDictionary(o => o.Path, o => new OutputEntry(o.Path, o.SizeBytes, o.Sha256, o.Type), StringComparer.Ordinal),
            new WorkerMetadata(signer?.WorkerId, signer?.Algorithm ?? "Ed25519", null, null),
            job.SetupError);
    }

    /// <summary>SPEC.md failure_reason values.</summary>
    public static string? FailureName(FailureReason? reason) => reason switch
    {
        null or FailureReason.None => null,
        FailureReason.ExitCode => "exit_code",
        FailureReason.Signal => "signal",
        FailureReason.Timeout => "timeout",
        FailureReason.CpuLimit => "cpu_limit",
        FailureReason.MemoryLimit => "memory_limit",
        FailureReason.OutputLimit => "output_limit",
        _ => "setup_error",
    };

    private sealed record StatusBody(
        string JobId, string Status, int QueuePosition, string? FailureReason, ExecutionMetadata ExecutionMetadata, string? JobHash,
        Dictionary<string, OutputEntry> OutputFiles, WorkerMetadata WorkerMetadata, string? Error);

    private sealed record ExecutionMetadata(double? CpuSeconds, long? MemoryPeakBytes, long? WallTimeMs, int? ExitCode, int? Signal, string? Environment, string Interpreter);

    private sealed record OutputEntry(string Path, long SizeBytes, string Sha256Hash, string Type);

    private sealed record WorkerMetadata(string? WorkerId, string Algorithm, string? Receipt, string? Signature);
}
