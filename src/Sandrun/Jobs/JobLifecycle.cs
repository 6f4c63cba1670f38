namespace Sandrun.Jobs;

/// <summary>Where a job is, as far as who may act on it goes.</summary>
internal enum JobPhase
{
    /// <summary>Admitted, not yet taken by a worker.</summary>
    Waiting,

    /// <summary>A worker holds it: sets its sandbox up (its status still queued) or runs it.</summary>
    Running,

    /// <summary>The finisher has ended it.</summary>
    Ended,
}

/// <summary>
/// The claims on one job. Workers, deletion (on request, after a download, when retention expires, at shutdown) and
/// the finisher race for a job, so every claim is taken here under one lock: a worker starts a job only if nobody
/// deleted it first; a job ends exactly once; deleting a running job cancels its run; and the job's data goes once it
/// has both ended and been deleted, by whichever of the two came second.
/// </summary>
internal sealed class JobLifecycle : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource deletion = new();
    private JobPhase phase;
    private bool deleted;
    private Action? expire;
    private ITimer? expiry;

    /// <summary>Cancelled when the job is deleted while it runs, so that its run stops.</summary>
    public CancellationToken Deleted => deletion.Token;

    /// <summary>A worker takes the job; false when it was deleted (and so ended) before.</summary>
    public bool TryStart()
    {
        lock (gate)
        {
            if (deleted || phase != JobPhase.Waiting)
            {
                return false;
            }

            phase = JobPhase.Running;
            return true;
        }
    }

    /// <summary>
    /// The one transition to <see cref="JobPhase.Ended"/>; false when the job has ended already. <paramref name="wasDeleted"/>
    /// says whether it was deleted before, so that its data is the caller's to discard.
    /// </summary>
    public bool TryEnd(out bool wasDeleted)
    {
        lock (gate)
        {
            wasDeleted = deleted;
            if (phase == JobPhase.Ended)
            {
                return false;
            }

            phase = JobPhase.Ended;
            return true;
        }
    }

    /// <summary>
    /// Marks the job deleted and returns the phase it was in: a waiting job is the deleter's to end, a running job's
    /// run is cancelled (its worker ends it), an ended job's data is the deleter's to discard.
    /// </summary>
    public JobPhase Delete()
    {
        lock (gate)
        {
            deleted = true;
            expiry?.Dispose();
            expiry = null;
            if (phase == JobPhase.Running)
            {
                // Under the lock, so that the run's end cannot dispose the source meanwhile; the callbacks only signal the run to stop.
                deletion.Cancel();
            }

            return phase;
        }
    }

    /// <summary>What to do when the job's retention expires (delete it); set once, when it is stored.</summary>
    public void OnExpiry(Action action) => expire = action;

    /// <summary>Runs the expiry action after <paramref name="delay"/> as <paramref name="time"/> counts it, unless the job is deleted first.</summary>
    public void ExpireAfter(TimeSpan delay, TimeProvider time)
    {
        lock (gate)
        {
            if (!deleted && expire is { } action)
            {
                expiry = time.CreateTimer(static state => ((Action)state!)(), action, delay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
        {
            expiry?.Dispose();
            expiry = null;
            deletion.Dispose();
        }
    }
}
