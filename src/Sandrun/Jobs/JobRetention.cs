using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>
/// How long jobs live (SPEC.md §5): a stored job stays reachable by its id until it is deleted — when its retention
/// expires (armed by the finisher), after a complete download, on request, or when the server stops. Deleted means
/// gone from the store and the queue, its run cancelled, and its workspace removed.
/// </summary>
internal sealed partial class JobRetention(JobStore store, IJobQueue queue, JobFinisher finisher, ILogger<JobRetention> logger)
{
    /// <summary>Stores an admitted job until it is deleted; false (and nothing stored) when a live job has its id.</summary>
    public bool Keep(Job job)
    {
        if (!store.TryAdd(job))
        {
            return false;
        }

        job.Lifecycle.OnExpiry(() => Delete(job.Id));
        return true;
    }

    /// <summary>Deletes a job and its data now. False when it is gone already. Never throws: it runs on retention timers.</summary>
    public bool Delete(string jobId)
    {
        if (!store.TryRemove(jobId, out var job))
        {
            return false;
        }

        queue.Remove(jobId);
        switch (job.Lifecycle.Delete())
        {
            case JobPhase.Waiting:
                // No worker has it, and none will take it now: it ends unrun.
                finisher.Finish(job, outcome: null);
                break;
            case JobPhase.Ended:
                finisher.Discard(job);
                break;
            default:
                // Running: its run is cancelled; its worker ends it, and the finisher discards its data then.
                break;
        }

        LogDeleted(logger, jobId);
        return true;
    }

    /// <summary>Deletes every job: nothing outlives the server.</summary>
    public void DeleteAll()
    {
        foreach (var job in store.All.ToList())
        {
            Delete(job.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} deleted")]
    private static partial void LogDeleted(ILogger logger, string jobId);
}
