namespace Sandrun.Broker;

/// <summary>
/// Wakes long-polling claimers when work may be waiting: a hint only. A claimer that misses a pulse finds the job at
/// its next poll; nothing depends on a pulse arriving.
/// </summary>
public sealed class BrokerWakeup
{
    private TaskCompletionSource current = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The next pulse. Take it before looking for work, then wait on it: a pulse between the look and the wait is not missed.
    /// </summary>
    public Task Next => Volatile.Read(ref current).Task;

    /// <summary>Wakes everyone waiting now.</summary>
    public void Pulse() => Interlocked.Exchange(ref current, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Waits for <paramref name="next"/> (from <see cref="Next"/>) or <paramref name="timeout"/>, whichever comes first; true when pulsed.</summary>
    public async Task<bool> WaitAsync(Task next, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
