namespace Sandrun.Abstractions;

/// <summary>
/// A bounded FIFO of job ids that have not started yet, with 1-based positions. A worker takes the oldest job to set
/// its sandbox up, and removes it once its program may start: a taken job keeps its place (in <see cref="Count"/>,
/// positions and the capacity) until then, so preparing a job ahead of time changes nothing clients see.
/// </summary>
public interface IJobQueue
{
    /// <summary>Adds a job; returns its 1-based position at that moment, or 0 when the queue is full.</summary>
    ValueTask<int> TryEnqueueAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits for the oldest job no worker has taken yet and takes it; it stays queued (and counted) until
    /// <see cref="Remove"/>.
    /// </summary>
    ValueTask<string> TakeAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a job, taken or not (it starts, or it was deleted before it started); false when it is not queued.</summary>
    bool Remove(string jobId);

    /// <summary>1-based position of a queued job (taken or not), or 0 when it is not queued.</summary>
    int PositionOf(string jobId);

    /// <summary>Number of queued jobs, taken or not.</summary>
    int Count { get; }
}
