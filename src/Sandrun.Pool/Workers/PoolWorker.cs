namespace Sandrun.Pool.Workers;

/// <summary>
/// One listed worker as the pool sees it: its identity and limit, whether its last probe answered (healthy) and proved
/// the listed key (verified), and the jobs the pool has placed on it. Thread-safe.
/// </summary>
public sealed class PoolWorker
{
    private readonly Lock gate = new();
    private int active;

    internal PoolWorker(string destinationId, PoolWorkerOptions options, int order)
    {
        DestinationId = destinationId;
        WorkerId = options.WorkerId;
        Endpoint = new Uri(options.Endpoint.TrimEnd('/') + "/");
        MaxConcurrentJobs = options.MaxConcurrentJobs;
        Order = order;
    }

    /// <summary>The YARP destination id of this worker.</summary>
    public string DestinationId { get; }

    /// <summary>The listed key (standard Base64).</summary>
    public string WorkerId { get; }

    /// <summary>The worker's base URL (ends with '/').</summary>
    public Uri Endpoint { get; }

    /// <summary>The listed concurrency limit.</summary>
    public int MaxConcurrentJobs { get; }

    /// <summary>Position in the list (ties in placement go to the earlier worker).</summary>
    public int Order { get; }

    /// <summary>Whether the last probe got a 200.</summary>
    public bool Healthy { get; private set; }

    /// <summary>Whether the last probe's challenge was signed by the listed key (and no receipt of it failed since).</summary>
    public bool Verified { get; private set; }

    /// <summary>True when the worker may get jobs and serve per-job requests: healthy and verified.</summary>
    public bool Usable
    {
        get
        {
            lock (gate)
            {
                return Healthy && Verified && !Quarantined;
            }
        }
    }

    /// <summary>Jobs placed here that have not ended.</summary>
    public int ActiveJobs => Volatile.Read(ref active);

    /// <summary>Jobs that ended completed here.</summary>
    public long Completed { get; private set; }

    /// <summary>Jobs that ended failed here (including lost and invalid receipts).</summary>
    public long Failed { get; private set; }

    /// <summary>The last problem seen with this worker, or null.</summary>
    public string? LastError { get; private set; }

    /// <summary>When the last probe finished.</summary>
    public DateTimeOffset? LastCheck { get; private set; }

    /// <summary>Set once a receipt of this worker failed verification: it gets no more jobs until the pool restarts.</summary>
    public bool Quarantined { get; private set; }

    /// <summary>Records a probe's outcome; true when the worker just went from usable to not usable.</summary>
    internal bool Probed(bool healthy, bool verified, string? error, DateTimeOffset at)
    {
        lock (gate)
        {
            var was = Healthy && Verified && !Quarantined;
            Healthy = healthy;
            Verified = verified && !Quarantined;
            LastError = error ?? (Quarantined ? LastError : null);
            LastCheck = at;
            return was && !(Healthy && Verified);
        }
    }

    /// <summary>A request to the worker could not connect; true when it was usable until now.</summary>
    internal bool Unreachable(string error)
    {
        lock (gate)
        {
            var was = Healthy && Verified && !Quarantined;
            Healthy = false;
            LastError = error;
            return was;
        }
    }

    /// <summary>A receipt of this worker failed verification.</summary>
    internal void Quarantine(string error)
    {
        lock (gate)
        {
            Quarantined = true;
            Verified = false;
            LastError = error;
        }
    }

    /// <summary>Takes a slot for a job if the worker is usable and below its limit.</summary>
    internal bool TryReserve()
    {
        lock (gate)
        {
            if (!(Healthy && Verified && !Quarantined) || active >= MaxConcurrentJobs)
            {
                return false;
            }

            active++;
            return true;
        }
    }

    /// <summary>Gives a slot back: the job was not placed after all, or it ended (<paramref name="completed"/> null when it was never placed).</summary>
    internal void Release(bool? completed)
    {
        lock (gate)
        {
            active = Math.Max(0, active - 1);
            if (completed == true)
            {
                Completed++;
            }
            else if (completed == false)
            {
                Failed++;
            }
        }
    }
}
