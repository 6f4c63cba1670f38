namespace Sandrun.Pool.Jobs;

/// <summary>Where a pool job is.</summary>
public enum PoolJobState
{
    /// <summary>Waiting in the pool's FIFO queue for a worker with a free slot.</summary>
    Queued,

    /// <summary>Placed on a worker (queued or running there).</summary>
    Dispatched,

    /// <summary>Ended: its final status is known (and its receipt checked) or the pool ended it (worker lost, refused).</summary>
    Ended,
}
