namespace Sandrun.Linux;

/// <summary>Configuration of the Linux sandbox (configuration section <c>Sandrun:Sandbox</c>).</summary>
public sealed class LinuxSandboxOptions
{
    /// <summary>Host directory for the sandbox's own state (the empty mount point of new roots). Must be traversable by others (0755).</summary>
    public string StateDirectory { get; set; } = "/run/sandrun";

    /// <summary>Which cgroup hierarchy to use.</summary>
    public CgroupMode Cgroups { get; set; } = CgroupMode.Auto;

    /// <summary>Where cgroup v1 controllers are mounted (each controller a subdirectory).</summary>
    public string CgroupV1Root { get; set; } = "/sys/fs/cgroup";

    /// <summary>Where the cgroup v2 hierarchy is mounted.</summary>
    public string CgroupV2Root { get; set; } = "/sys/fs/cgroup";

    /// <summary>Name of Sandrun's parent cgroup below the root.</summary>
    public string CgroupName { get; set; } = "sandrun";

    /// <summary>How each job's own empty network namespace is made.</summary>
    public NetworkIsolation Network { get; set; } = NetworkIsolation.Auto;

    /// <summary>Bounds of the egress proxy of steps that may reach listed endpoints (dependency installs).</summary>
    public EgressProxyOptions Egress { get; set; } = new();

    /// <summary>
    /// Start of the host uid/gid range jobs run as: <c>HostIdBase + 1</c> owns workspaces between runs, and each
    /// running job gets a pair of its own from <c>HostIdBase + 2</c> on (inside uid 0 and the job's 65534), so
    /// per-user kernel budgets are per job. Pick a range no host user owns (it grows by two ids per concurrently
    /// running job).
    /// </summary>
    public uint HostIdBase { get; set; } = 2_000_000_000;

    /// <summary>Host paths exposed read-only as the interpreter runtime (symlinks are recreated as symlinks).</summary>
    public IList<string> RuntimePaths { get; set; } = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

    /// <summary>
    /// How long one set of staged read-only views of <see cref="RuntimePaths"/> serves new jobs before it is replaced.
    /// Views are shared so jobs find their dentries warm; overlayfs does not follow changes to the host directory, so
    /// a job sees the runtime as it was at most this long before it started (e.g. just after a package upgrade).
    /// </summary>
    public TimeSpan RuntimeViewLifetime { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Host /etc entries exposed read-only (missing ones are skipped).</summary>
    public IList<string> EtcPaths { get; set; } =
    [
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
        "/etc/R", "/etc/ssl/certs", "/etc/mime.types", "/etc/protocols", "/etc/services",
    ];

    /// <summary>Host name inside the sandbox.</summary>
    public string Hostname { get; set; } = "sandrun";

    /// <summary>PATH inside the sandbox (also used to resolve bare program names).</summary>
    public string Path { get; set; } = "/usr/local/bin:/usr/bin:/bin";

    /// <summary>How long setup may take from clone to exec before the child is killed.</summary>
    public TimeSpan SetupTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often CPU usage is checked against the limit.</summary>
    public TimeSpan LimitCheckInterval { get; set; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>cgroup hierarchy selection.</summary>
public enum CgroupMode
{
    /// <summary>v2 when its memory, pids and cpu controllers are usable, otherwise v1.</summary>
    Auto,

    /// <summary>Require cgroup v1 (memory, pids, cpuacct controllers).</summary>
    V1,

    /// <summary>Require cgroup v2 with memory, pids and cpu controllers.</summary>
    V2,
}

/// <summary>
/// How each job gets its own fresh, empty network namespace (never shared, never reused: no interface but a
/// loopback that stays down, no socket table, port or abstract UNIX socket name in common with another job).
/// </summary>
public enum NetworkIsolation
{
    /// <summary>Namespaces created ahead of time by a background pool; a job's clone joins one (fast).</summary>
    Auto,

    /// <summary>The job's clone creates its namespace itself (no pool; creation, ~0.4 ms and serialised kernel-wide, is on every spawn).</summary>
    PerJobNamespace,
}
