namespace Sandrun.Pool.Jobs;

/// <summary>
/// The pool's state: the id map (pool id → worker, worker job id) and the FIFO queue of jobs waiting for a worker.
/// <see cref="InMemoryPoolJobStore"/> keeps it in this process; a durable store can replace it.
/// </summary>
public interface IPoolJobStore
{
    /// <summary>Jobs waiting in the queue.</summary>
    int QueueLength { get; }

    /// <summary>Records a job that a worker accepted at once (not queued).</summary>
    void Add(PoolJob job);

    /// <summary>Records <paramref name="job"/> at the end of the queue if fewer than <paramref name="capacity"/> wait; its 1-based position, or 0 when full.</summary>
    int Enqueue(PoolJob job, int capacity);

    /// <summary>The job at the head of the queue, or null.</summary>
    PoolJob? Head();

    /// <summary>Takes <paramref name="job"/> out of the queue (it was dispatched or ended).</summary>
    void Dequeue(PoolJob job);

    /// <summary>The 1-based queue position of <paramref name="job"/>, or 0 when it is not queued.</summary>
    int PositionOf(PoolJob job);

    /// <summary>The job with the pool id <paramref name="id"/>, or null.</summary>
    PoolJob? Find(string id);

    /// <summary>Jobs placed on a worker that have not ended.</summary>
    IReadOnlyList<PoolJob> InFlight();

    /// <summary>Forgets ended jobs that ended before <paramref name="cutoff"/>; how many.</summary>
    int ForgetEndedBefore(DateTimeOffset cutoff);

    /// <summary>Forgets a job (its outputs were downloaded and deleted on the worker).</summary>
    void Forget(string id);
}
