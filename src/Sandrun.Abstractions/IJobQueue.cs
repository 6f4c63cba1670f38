namespace Sandrun.Abstractions;

/// <summary>A bounded FIFO of job ids waiting for a worker, with 1-based positions.</summary>
public interface IJobQueue
{
    /// <summary>Adds a job; returns its 1-based position at that moment, or 0 when the queue is full.</summary>
    ValueTask<int> TryEnqueueAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Waits for and removes the oldest job.</summary>
    ValueTask<string> DequeueAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a job that is still waiting (e.g. deleted before it ran); false when it is not queued.</summary>
    bool Remove(string jobId);

    /// <summary>1-based position of a queued job, or 0 when it is not queued.</summary>
    int PositionOf(string jobId);

    /// <summary>Number of queued jobs.</summary>
    int Count { get; }
}
