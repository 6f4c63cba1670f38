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
            job.Outputs.ToDictionary(o => o.Path, o => new OutputEntry(o.Path, o.SizeBytes, o.Sha256, o.Type), StringComparer.Ordinal),
            Signed(job, signer) ?? new WorkerMetadata(null, null, null, null),
            job.SetupError,
            job.Notes);
    }

    /// <summary>The signed receipt as <c>worker_metadata</c>; null while unsigned (anonymous worker or unfinished job).</summary>
    public static WorkerMetadata? Signed(Job job, IResultSigner? signer) =>
        job.Receipt is { } receipt ? new WorkerMetadata(receipt.WorkerId, signer?.Algorithm ?? "Ed25519", receipt.Text, receipt.Signature) : null;

    private sealed record StatusBody(
        string JobId, string Status, int QueuePosition, string? FailureReason, ExecutionMetadata ExecutionMetadata, string? JobHash,
        Dictionary<string, OutputEntry> OutputFiles, WorkerMetadata WorkerMetadata, string? Error, IReadOnlyList<string> Notes);

    private sealed record ExecutionMetadata(double? CpuSeconds, long? MemoryPeakBytes, long? WallTimeMs, int? ExitCode, int? Signal, string? Environment, string Interpreter);

    private sealed record OutputEntry(string Path, long SizeBytes, string Sha256Hash, string Type);

    internal sealed record WorkerMetadata(string? WorkerId, string? Algorithm, string? Receipt, string? Signature);
}
