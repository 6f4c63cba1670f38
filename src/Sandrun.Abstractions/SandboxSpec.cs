namespace Sandrun.Abstractions;

/// <summary>What to run in a sandbox, and within which limits.</summary>
/// <param name="Argv">Program and arguments, passed to execve as they are (never through a shell). A program
/// name without '/' is searched in the sandbox's PATH.</param>
/// <param name="WorkspaceDirectory">Host directory mounted read-write at <see cref="WorkspaceMountPath"/>; it belongs to one running job at a time (the sandbox may hand it to that job's own host uid).</param>
/// <param name="Limits">Resource limits for the whole job (every process it starts).</param>
public sealed record SandboxSpec(IReadOnlyList<string> Argv, string WorkspaceDirectory, SandboxLimits Limits)
{
    /// <summary>Where the workspace appears inside the sandbox.</summary>
    public const string WorkspaceMountPath = "/workspace";

    /// <summary>Extra environment variables (the sandbox supplies PATH, HOME, LANG and friends).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory inside the sandbox.</summary>
    public string WorkingDirectory { get; init; } = WorkspaceMountPath;

    /// <summary>Bytes fed to standard input; empty means stdin reads EOF at once.</summary>
    public ReadOnlyMemory<byte> Stdin { get; init; }

    /// <summary>Additional read-only host directories to expose (e.g. environment templates).</summary>
    public IReadOnlyList<ReadOnlyMount> ReadOnlyMounts { get; init; } = [];

    /// <summary>
    /// Called with the job's total CPU time so far whenever the sandbox measures it while the job runs
    /// (for charging quotas as CPU is consumed). Must return quickly and not throw.
    /// </summary>
    public Action<TimeSpan>? CpuProgress { get; init; }

    /// <summary>
    /// Where the step may connect. Empty (the default): nowhere, no usable network at all. Otherwise the step gets its own
    /// network namespace whose only way out is an HTTP proxy on its loopback (HTTP_PROXY/HTTPS_PROXY) that connects to
    /// these endpoints alone; it gets no DNS resolvers (the proxy resolves names). Only for steps an operator trusts with
    /// it (dependency installs from configured registries); jobs themselves never get it.
    /// </summary>
    public IReadOnlyList<EgressEndpoint> Egress { get; init; } = [];

    /// <summary>
    /// Slots for running programs, shared by the caller's concurrent runs, for a sandbox whose
    /// <see cref="ISandbox.HonoursStartGate"/> is true: the sandbox is set up without one (so one job's setup overlaps
    /// another's run), and the program starts only once the run holds a slot, given back once every process of the
    /// run is gone. Null: the program starts as soon as its sandbox is ready.
    /// </summary>
    public SemaphoreSlim? StartGate { get; init; }

    /// <summary>
    /// Called once, on the run's own thread, when a run with a <see cref="StartGate"/> has taken its slot, just before
    /// its program is let go (its wall time starts after). Not called for a run without a gate, nor for one that ends
    /// before it holds a slot. Lets the caller tell a job that waits from one that runs. Must return quickly and not throw.
    /// </summary>
    public Action? OnStart { get; init; }
}

/// <summary>A host directory exposed read-only inside the sandbox.</summary>
/// <param name="HostPath">Absolute host path.</param>
/// <param name="SandboxPath">Absolute path inside the sandbox.</param>
public sealed record ReadOnlyMount(string HostPath, string SandboxPath);

/// <summary>Per-job resource limits.</summary>
/// <param name="WallTimeout">Wall-clock time after which every process of the job is killed.</param>
/// <param name="CpuTime">CPU time (all processes together) after which the job is killed.</param>
/// <param name="MemoryBytes">Memory limit (no swap); exceeding it is reported as <see cref="FailureReason.MemoryLimit"/>.</param>
/// <param name="MaxProcesses">Maximum number of processes and threads alive at once.</param>
/// <param name="OutputBytesPerStream">Bytes kept per output stream; more ends the job with <see cref="FailureReason.OutputLimit"/>.</param>
public sealed record SandboxLimits(TimeSpan WallTimeout, TimeSpan CpuTime, long MemoryBytes, int MaxProcesses, long OutputBytesPerStream)
{
    /// <summary>Size cap of the sandbox's private /tmp (and /dev/shm).</summary>
    public long TmpBytes { get; init; } = 100L << 20;

    /// <summary>RLIMIT_NOFILE for every process of the job.</summary>
    public int MaxOpenFiles { get; init; } = 256;

    /// <summary>RLIMIT_FSIZE: the largest file a process may write.</summary>
    public long MaxFileSizeBytes { get; init; } = 100L << 20;

    /// <summary>RLIMIT_STACK.</summary>
    public long StackBytes { get; init; } = 8L << 20;

    /// <summary>SPEC.md defaults: 300 s wall, 10 CPU-seconds, 512 MiB, 64 processes, 10 MiB per stream.</summary>
    public static SandboxLimits Default { get; } = new(TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(10), 512L << 20, 64, 10L << 20);
}
