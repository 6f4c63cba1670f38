using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Quotas;
using Sandrun.Receipts;

namespace Sandrun.Jobs;

/// <summary>
/// The one place a job ends, however it ends: its run completed or failed, it was deleted before or while it ran, or
/// the server stopped. Ending sets the final result, signs the receipt before the status turns final, gives the
/// client's quota back, arms retention and releases whoever waits on <see cref="Job.Completion"/>, each exactly once.
/// </summary>
internal sealed partial class JobFinisher(
    IOptions<SandrunOptions> options, ClientQuotas quotas, SandrunMetrics metrics, TimeProvider time, ILogger<JobFinisher> logger, IResultSigner? signer = null)
{
    private readonly RetentionOptions retention = options.Value.Retention;

    /// <summary>
    /// Ends <paramref name="job"/> with <paramref name="outcome"/>, or with no result when it did not run to an end
    /// (deleted, or the server stopped). Does nothing when it has ended already; never throws.
    /// </summary>
    public void Finish(Job job, JobOutcome? outcome)
    {
        if (!job.Lifecycle.TryEnd(out var deleted))
        {
            return;
        }

        job.Log.Complete(job.Log.Truncated);
        if (outcome is not null)
        {
            Publish(job, outcome);
        }

        quotas.JobEnded(job.Client);
        if (deleted)
        {
            Discard(job);
        }
        else if (job.IsFinished)
        {
            job.Lifecycle.ExpireAfter(job.Status == JobStatus.Completed ? retention.AfterCompletion : retention.AfterFailure, time);
        }

        job.MarkFinished();
    }

    /// <summary>Deletes a job's data (its output and workspace) once it has ended and been deleted. Never throws: it may run on a timer.</summary>
    public void Discard(Job job)
    {
        job.Lifecycle.Dispose();
        job.Log.Dispose();
        try
        {
            job.Workspace.Dispose();
        }
        catch (Exception e)
        {
            LogDiscardFailed(logger, job.Id, e.GetType().Name);
        }
    }

    private void Publish(Job job, JobOutcome outcome)
    {
        var result = outcome.Result;
        job.Outputs = outcome.Outputs;
        job.Notes = [.. job.Notes, .. outcome.Notes];
        job.SetupError = outcome.SetupError;
        job.FinishedAt = time.GetUtcNow();
        var final = result.Succeeded ? JobStatus.Completed : JobStatus.Failed;
        if (signer is not null)
        {
            try
            {
                job.Receipt = Receipt.Create(signer, new ReceiptFields(
                    job.Id, job.JobHash, FailureNames.For(final), result.ExitCode, FailureNames.For(result.Succeeded ? null : result.FailureReason),
                    FailureNames.CpuSeconds(result.CpuTime), result.MemoryPeakBytes, FailureNames.WallMilliseconds(result.WallTime),
                    job.Outputs.ToDictionary(o => o.Path, o => o.Sha256, StringComparer.Ordinal), job.FinishedAt.Value));
            }
            catch (Exception e)
            {
                // A job must end whatever the signer does; without a receipt it cannot claim success.
                LogSigningFailed(logger, job.Id, e.GetType().Name);
                job.SetupError = "internal error while finishing the job";
                result = result.Succeeded ? result with { FailureReason = FailureReason.SetupError } : result;
                final = JobStatus.Failed;
            }
        }

        job.Result = result;
        // Last: a finished job always shows its receipt and result.
        job.Status = final;
        metrics.Finished(result, job.FinishedAt.Value - (job.StartedAt ?? job.FinishedAt.Value));
        LogFinished(logger, job.Id, final, result.FailureReason, result.ExitCode, result.CpuTime.TotalSeconds, result.MemoryPeakBytes, result.WallTime.TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Status} ({Reason}, exit {ExitCode}): {CpuSeconds:0.###} CPU-s, {MemoryPeak} bytes peak, {WallMs:0} ms wall")]
    private static partial void LogFinished(ILogger logger, string jobId, JobStatus status, FailureReason reason, int? exitCode, double cpuSeconds, long memoryPeak, double wallMs);

    // Exception messages are not logged: they may name files the job created (SPEC.md §5, no job content in logs).
    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: its receipt could not be signed: {ExceptionType}")]
    private static partial void LogSigningFailed(ILogger logger, string jobId, string exceptionType);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: its workspace could not be deleted: {ExceptionType}")]
    private static partial void LogDiscardFailed(ILogger logger, string jobId, string exceptionType);
}
