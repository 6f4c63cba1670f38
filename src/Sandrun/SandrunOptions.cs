namespace Sandrun;

/// <summary>Engine configuration, bound from the <c>Sandrun</c> configuration section (SPEC.md §0).</summary>
public sealed class SandrunOptions
{
    /// <summary>Concurrent jobs; default = CPU count (0 in configuration means the same).</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Whether each worker sets the next job's sandbox up while its current program runs (with a sandbox that honours
    /// <see cref="Abstractions.SandboxSpec.StartGate"/>; still at most <see cref="Workers"/> programs at once, and at
    /// most <see cref="Workers"/> jobs set up ahead). On by default. Clients see no difference: a job set up ahead stays
    /// <c>queued</c> in its place, counted by <see cref="QueueCapacity"/>, until its program may start; its start
    /// time and wall timeout begin then.
    /// </summary>
    public bool OverlapSetup { get; set; } = true;

    /// <summary>Jobs that may wait in the queue before submissions get 503.</summary>
    public int QueueCapacity { get; set; } = 1000;

    /// <summary>Per-client quotas.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Job limits: defaults and maxima.</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>How long finished jobs are kept.</summary>
    public RetentionOptions Retention { get; set; } = new();

    /// <summary>
    /// Environment templates: name → host directory (e.g. a prepared venv or node_modules), mounted read-only
    /// at /opt/sandrun/environments/NAME for jobs whose manifest names it, and listed by /environments.
    /// </summary>
    public IDictionary<string, string> Environments { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Where manifests' <c>requirements</c> are installed from.</summary>
    public RequirementsOptions Requirements { get; set; } = new();
}

/// <summary>
/// Package sources for the requirements install step: operator-prepared directories mounted read-only into the install
/// step's sandbox, or (only with <see cref="AllowNetwork"/>) the configured registries. Jobs never get network access.
/// </summary>
public sealed class RequirementsOptions
{
    /// <summary>
    /// Directory of Python wheels/sdists for <c>requirements.txt</c> (pip <c>--no-index --find-links</c>);
    /// null = Python requirements are refused.
    /// </summary>
    public string? PipFindLinks { get; set; }

    /// <summary>
    /// npm cache directory for <c>package.json</c>, filled with <c>npm cache add NAME@VERSION --cache DIR</c>
    /// (from <see cref="NpmRegistry"/>); installs run <c>npm install --offline</c> against a copy of it in the
    /// job's /tmp. Null = npm requirements are refused.
    /// </summary>
    public string? NpmCache { get; set; }

    /// <summary>
    /// The npm registry: the one the npm cache was filled from (cache keys include it; offline installs never contact
    /// it), and the one networked installs use.
    /// </summary>
    public string NpmRegistry { get; set; } = "https://registry.npmjs.org/";

    /// <summary>
    /// Directory of <c>.gem</c> files for a <c>Gemfile</c>; installs run <c>bundle install --local</c> with a
    /// copy of it as bundler's cache. Null = Ruby requirements are refused.
    /// </summary>
    public string? GemCache { get; set; }

    /// <summary>
    /// Let install steps without a configured mirror fetch from their registry (<see cref="PipIndexUrl"/>,
    /// <see cref="NpmRegistry"/>, <see cref="GemSource"/>). Off by default. Such a step is still job code in a sandbox
    /// with the job's limits: it gets its own network namespace whose only way out is a proxy that connects to that
    /// registry's host:port (for the public registries also their download hosts) and the <see cref="Egress"/> entries,
    /// and to nothing else (not the host's loopback, not this server). Jobs themselves never have network access.
    /// </summary>
    public bool AllowNetwork { get; set; }

    /// <summary>Package index (PEP 503 simple API) for networked pip installs.</summary>
    public string PipIndexUrl { get; set; } = "https://pypi.org/simple/";

    /// <summary>Gem source for networked bundler installs; every source a Gemfile names is fetched from here (bundler's <c>mirror.all</c>).</summary>
    public string GemSource { get; set; } = "https://rubygems.org/";

    /// <summary>
    /// More <c>host:port</c> endpoints networked install steps may reach besides their registry's own, e.g. the download
    /// host of a mirror whose index links elsewhere. Empty by default: a mirror's operator lists nothing else.
    /// </summary>
    public IList<string> Egress { get; set; } = [];
}

/// <summary>Per-client quotas (SPEC.md §2). Who a client is (e.g. its IP address) is the host's business.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Whether quotas are enforced.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>CPU-seconds a client's jobs may use per sliding minute.</summary>
    public double CpuSecondsPerMinute { get; set; } = 10;

    /// <summary>Queued plus running jobs per client.</summary>
    public int MaxActiveJobs { get; set; } = 2;

    /// <summary>Submissions per client per hour.</summary>
    public int MaxJobsPerHour { get; set; } = 20;
}

/// <summary>Job limits (SPEC.md §0, §3).</summary>
public sealed class LimitOptions
{
    /// <summary>Wall timeout when the manifest names none.</summary>
    public int DefaultTimeoutSeconds { get; set; } = 300;

    /// <summary>Largest wall timeout a manifest may ask for.</summary>
    public int MaxTimeoutSeconds { get; set; } = 3600;

    /// <summary>Memory when the manifest names none.</summary>
    public int DefaultMemoryMb { get; set; } = 512;

    /// <summary>Largest memory a manifest may ask for.</summary>
    public int MaxMemoryMb { get; set; } = 2048;

    /// <summary>CPU seconds when the manifest names none.</summary>
    public int DefaultCpuSeconds { get; set; } = 10;

    /// <summary>Largest CPU time a manifest may ask for.</summary>
    public int MaxCpuSeconds { get; set; } = 60;

    /// <summary>Processes and threads per job.</summary>
    public int MaxPids { get; set; } = 64;

    /// <summary>Workspace (and /tmp) size per job.</summary>
    public int WorkspaceMb { get; set; } = 100;

    /// <summary>Output kept per stream.</summary>
    public long OutputBytesPerStream { get; set; } = 10_485_760;

    /// <summary>Largest upload (whole request).</summary>
    public long MaxUploadBytes { get; set; } = 104_857_600;
}

/// <summary>Retention of finished jobs (SPEC.md §5).</summary>
public sealed class RetentionOptions
{
    /// <summary>How long a failed job is kept.</summary>
    public TimeSpan AfterFailure { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a completed job is kept when its outputs are not downloaded.</summary>
    public TimeSpan AfterCompletion { get; set; } = TimeSpan.FromHours(1);
}
