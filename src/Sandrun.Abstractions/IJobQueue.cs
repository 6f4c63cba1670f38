namespace Sandrun.Abstractions;

/// <summary>A FIFO of job ids waiting for a worker.</summary>
public interface IJobQueue
{
    /// <summary>Adds a job; returns false when the queue is full.</summary>
    ValueTask<bool> TryEnqueueAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Waits for and removes the oldest job.</summary>
    ValueTask<string> DequeueAsync(CancellationToken cancellationToken = default);

    /// <summary>1-based position of a queued job, or 0 when it is not queued.</summary>
    int PositionOf(string jobId);

    /// <summary>Number of queued jobs.</summary>
    int Count { get; }
}
