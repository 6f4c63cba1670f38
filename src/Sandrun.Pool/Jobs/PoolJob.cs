using Sandrun.Pool.Workers;

namespace Sandrun.Pool.Jobs;

/// <summary>One job as the pool knows it: who sent it, where it runs, and once ended its final status. Thread-safe.</summary>
public sealed class PoolJob
{
    private readonly Lock gate = new();
    private readonly TaskCompletionSource ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a queued job.</summary>
    public PoolJob(string id, string client, DateTimeOffset submittedAt, SpooledUpload upload)
    {
        Id = id;
        Client = client;
        SubmittedAt = submittedAt;
        Upload = upload;
    }

    /// <summary>The pool's own job id (<c>job-…</c>), the client's capability.</summary>
    public string Id { get; }

    /// <summary>The client address quotas count it against.</summary>
    public string Client { get; }

    /// <summary>When the client submitted it.</summary>
    public DateTimeOffset SubmittedAt { get; }

    /// <summary>The spooled upload, until a worker accepted it.</summary>
    public SpooledUpload? Upload { get; private set; }

    /// <summary>Where the job is.</summary>
    public PoolJobState State { get; private set; }

    /// <summary>The worker it was placed on, once dispatched.</summary>
    public PoolWorker? Worker { get; private set; }

    /// <summary>The worker's id for it, once dispatched.</summary>
    public string? WorkerJobId { get; private set; }

    /// <summary>When a worker accepted it.</summary>
    public DateTimeOffset? DispatchedAt { get; private set; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>The final <c>/status</c> JSON the pool reports (pool id, <c>pool_metadata</c>, checked receipt), once ended.</summary>
    public string? FinalStatus { get; private set; }

    /// <summary>Whether the job ended completed (with a verified receipt).</summary>
    public bool Completed { get; private set; }

    /// <summary>
    /// The <c>/status</c> JSON the pool last saw from the worker while the job ran (rewritten to the pool's id), or null.
    /// A worker's status of a running job changes only when the job ends, which the pool learns at once (it follows
    /// each job with a held <c>/status?wait</c> request), so this answers <c>/status</c> without asking the worker.
    /// </summary>
    public string? RunningStatus { get; private set; }

    /// <summary>Completes when the job has ended.</summary>
    public Task Ended => ended.Task;

    /// <summary>Records that <paramref name="worker"/> accepted it as <paramref name="workerJobId"/>; the upload is released.</summary>
    internal void Dispatched(PoolWorker worker, string workerJobId, DateTimeOffset at)
    {
        lock (gate)
        {
            Worker = worker;
            WorkerJobId = workerJobId;
            DispatchedAt = at;
            State = PoolJobState.Dispatched;
            Upload?.Dispose();
            Upload = null;
        }
    }

    /// <summary>Records the worker's status of the job while it runs.</summary>
    internal void Running(string status)
    {
        lock (gate)
        {
            if (State == PoolJobState.Dispatched)
            {
                RunningStatus = status;
            }
        }
    }

    /// <summary>Ends the job with its final status; false when it had already ended (the first ending wins).</summary>
    internal bool TryEnd(string finalStatus, bool completed, DateTimeOffset at)
    {
        lock (gate)
        {
            if (State == PoolJobState.Ended)
            {
                return false;
            }

            State = PoolJobState.Ended;
            FinalStatus = finalStatus;
            Completed = completed;
            EndedAt = at;
            RunningStatus = null;
            Upload?.Dispose();
            Upload = null;
            ended.TrySetResult();
            return true;
        }
    }
}
