namespace Sandrun.Pool;

/// <summary>Configuration of the pool coordinator (section <c>Sandrun:Pool</c>; SPEC.md §7).</summary>
public sealed class PoolOptions
{
    /// <summary>A <c>workers.json</c> file (<c>[{"worker_id","endpoint","max_concurrent_jobs"}]</c>); its entries come after <see cref="Workers"/>.</summary>
    public string? WorkersFile { get; set; }

    /// <summary>Workers listed in configuration (<c>Sandrun:Pool:Workers:0:WorkerId</c>, …).</summary>
    public IList<PoolWorkerOptions> Workers { get; set; } = [];

    /// <summary>How often every worker is probed with a fresh identity challenge.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a probe may take before the worker counts as unhealthy.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the pool asks workers about the jobs they run (frees slots without waiting for clients to poll).</summary>
    public TimeSpan StatusPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long one request to a worker (submit, status) may take.</summary>
    public TimeSpan WorkerRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Jobs the pool holds while every worker is full; beyond it submissions get 503.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Largest accepted <c>/submit</c> body (the upload is spooled once, then sent to a worker).</summary>
    public long MaxUploadBytes { get; set; } = 104_857_600;

    /// <summary>Where uploads wait until a worker takes them; by default RAM-backed <c>/dev/shm</c> (SPEC.md §5), else the temp directory.</summary>
    public string? SpoolDirectory { get; set; }

    /// <summary>
    /// The longest a proxied request (a live log stream of a silent job, a slow download) may see no traffic before the
    /// pool cuts it; longer than the longest job the workers allow (YARP's default of 100 s would cut silent jobs).
    /// </summary>
    public TimeSpan StreamActivityTimeout { get; set; } = TimeSpan.FromHours(1) + TimeSpan.FromMinutes(5);

    /// <summary>How long the pool remembers a finished job (its verified status) after it ended.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The <c>Retry-After</c> the pool suggests when a job's worker is down or the queue is full.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>One trusted worker: its identity, where it listens, and how many jobs it may run at once.</summary>
public sealed class PoolWorkerOptions
{
    /// <summary>Standard Base64 of the worker's raw Ed25519 public key (its <c>Worker ID</c>).</summary>
    public string WorkerId { get; set; } = "";

    /// <summary>The worker's base URL, e.g. <c>http://10.0.0.5:8443</c>.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Jobs the pool gives this worker at once (queued or running there).</summary>
    public int MaxConcurrentJobs { get; set; } = 4;
}
