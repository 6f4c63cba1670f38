using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Linux.Cgroups;
using Sandrun.Linux.Execution;
using Sandrun.Linux.Identity;
using Sandrun.Linux.Native;
using Sandrun.Linux.Network;
using Sandrun.Linux.Probe;
using Sandrun.Linux.Seccomp;
using Sandrun.Linux.Spawn;
using Sandrun.Linux.Syscalls;
using Sandrun.Linux.Workspace;

namespace Sandrun.Linux;

/// <summary>
/// The Linux <see cref="ISandbox"/>: user, mount, pid, ipc, uts, cgroup and network namespaces; a tmpfs root
/// with read-only runtime binds; cgroup limits and accounting; no capabilities, NO_NEW_PRIVS, Landlock
/// scopes and a seccomp-BPF allowlist. Fails closed: if any of it cannot be set up, <see cref="RunAsync"/>
/// throws <see cref="SandboxUnavailableException"/> and nothing is executed.
/// </summary>
public sealed partial class LinuxSandbox : ISandbox, IDisposable
{
    private readonly LinuxSandboxOptions options;
    private readonly ILogger logger;
    private readonly Lazy<Runtime> runtime;
    private int disposed;
    private const int CgroupPoolSize = 4;
    private const int NetnsPoolSize = 4;
    private readonly JobThreads threads = new();

    // A workspace belongs to one run at a time: it is handed to that run's host uid, and two jobs sharing a
    // writable directory could talk to each other.
    private readonly ConcurrentDictionary<string, byte> busyWorkspaces = new(StringComparer.Ordinal);

    // The provider's workspaces, which are not in the host's mount table: a spawn copies them from their mount fd.
    private readonly ConcurrentDictionary<string, DetachedWorkspace> detachedWorkspaces = new(StringComparer.Ordinal);

    /// <summary>Creates the sandbox from options; the host is probed now, set up on first use.</summary>
    public LinuxSandbox(IOptions<LinuxSandboxOptions> options, ILogger<LinuxSandbox>? logger = null)
        : this(options?.Value ?? throw new ArgumentNullException(nameof(options)), logger ?? (ILogger)NullLogger.Instance, null)
    {
    }

    internal LinuxSandbox(LinuxSandboxOptions options, ILogger logger, CapabilityReport? report)
    {
        this.options = options;
        this.logger = logger;
        Capabilities = report ?? CapabilityProbe.Probe(options);
        runtime = new Lazy<Runtime>(CreateRuntime, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>What the host offers.</summary>
    public CapabilityReport Capabilities { get; }

    /// <summary>
    /// Host uid that owns prepared workspaces between runs. Each run gets host uids of its own (so per-user kernel
    /// budgets are per job); the sandbox hands the workspace to the run's uid before it starts.
    /// </summary>
    public uint JobHostUid => options.HostIdBase + 1;

    /// <summary>Host gid that owns prepared workspaces between runs.</summary>
    public uint JobHostGid => options.HostIdBase + 1;

    /// <summary>Which cgroup hierarchy and network isolation are in use (sets the sandbox up if needed).</summary>
    public string Describe()
    {
        var rt = GetRuntime();
        var network = (rt.Netns is null ? "fresh namespace per job (created by the clone)" : "fresh namespace per job (pooled)")
            + (rt.Features.LandlockScopes ? " + Landlock scopes" : string.Empty);
        return $"cgroup {rt.Cgroups.Description}, network {network}, seccomp {rt.Seccomp.Length} instructions, {(Capabilities.Clone3 ? "clone3" : "clone")}";
    }

    /// <inheritdoc />
    public void EnsureReady() => GetRuntime();

    /// <inheritdoc />
    public bool HonoursStartGate => true;

    /// <inheritdoc />
    public bool CanRun(string program)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        return !program.Contains('/', StringComparison.Ordinal) && FindInPath(program, workspaceDirectory: null) is not null;
    }

    /// <inheritdoc />
    public Task<SandboxResult> RunAsync(SandboxSpec spec, ISandboxOutputSink output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(output);
        Validate(spec);
        var rt = GetRuntime();
        var workspace = Path.GetFullPath(spec.WorkspaceDirectory);
        if (!busyWorkspaces.TryAdd(workspace, 0))
        {
            throw new ArgumentException($"the workspace {workspace} is in use by another running job", nameof(spec));
        }

        var tcs = new TaskCompletionSource<SandboxResult>(TaskCreationOptions.RunContinuationsAsynchronously);

        // The spawn and the poll loop block: they run on Sandrun's own job threads, not the thread pool.
        // The result is published as soon as the job is reaped and accounted; removing its cgroups and
        // closing its fds happens right after, on the same thread, off the caller's critical path.
        void Publish(SandboxResult result)
        {
            busyWorkspaces.TryRemove(workspace, out _);
            if (cancellationToken.IsCancellationRequested)
            {
                tcs.TrySetCanceled(cancellationToken);
            }
            else
            {
                tcs.TrySetResult(result);
            }
        }

        threads.Run(() =>
        {
            try
            {
                Run(rt, spec, output, Publish, cancellationToken);
            }
            catch (TaintedThreadException e)
            {
                // This thread may still sit in a job's network namespace or identity: never run anything else on it.
                tcs.TrySetException(new SandboxUnavailableException(e.Message, e));
                throw new RetireThreadException();
            }
            catch (Exception e)
            {
                if (!tcs.TrySetException(e))
                {
                    LogCleanupFailure(logger, e);
                }
            }
            finally
            {
                busyWorkspaces.TryRemove(workspace, out _);
            }
        });
        return tcs.Task;
    }

    /// <summary>
    /// Releases the sandbox's namespaces, mounts and fds, once: the container disposes this instance both as itself and as
    /// the <see cref="ISandbox"/> its factory returned, and a second close of an fd number would close whatever another
    /// part of the process has opened under that number since.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0 && runtime.IsValueCreated)
        {
            runtime.Value.Cgroups.Dispose();
            runtime.Value.Netns?.Dispose();
            Libc.Close(runtime.Value.InitFd);
            Libc.Close(runtime.Value.ServerPidfd);
            runtime.Value.Host.Dispose();
        }
    }

    internal void AddWorkspace(DetachedWorkspace workspace) => detachedWorkspaces[workspace.Path] = workspace;

    internal void RemoveWorkspace(DetachedWorkspace workspace) =>
        detachedWorkspaces.TryRemove(new KeyValuePair<string, DetachedWorkspace>(workspace.Path, workspace));

    /// <summary>
    /// A detached copy of the workspace's mount (close-on-exec) that the child moves into its own mount namespace:
    /// copied from the provider's mount fd, or else (a plain host directory) from the host's mount table.
    /// </summary>
    private int OpenWorkspaceTree(string directory)
    {
        const uint OPEN_TREE_CLONE = 1, AT_SYMLINK_NOFOLLOW = 0x100, AT_RECURSIVE = 0x8000, OPEN_TREE_CLOEXEC = 0x80000;
        var fd = detachedWorkspaces.TryGetValue(Path.GetFullPath(directory), out var detached)
            ? detached.CloneTree()
            : Libc.OpenTree(directory, OPEN_TREE_CLONE | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW | OPEN_TREE_CLOEXEC);
        return fd >= 0 ? fd : throw Libc.Error($"copy the mount of workspace {directory}");
    }

    private Runtime GetRuntime()
    {
        try
        {
            return runtime.Value;
        }
        catch (SandboxUnavailableException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new SandboxUnavailableException("sandbox setup failed: " + e.Message, e);
        }
    }

    private Runtime CreateRuntime()
    {
        var problems = Capabilities.Problems;
        if (problems.Count > 0)
        {
            throw new SandboxUnavailableException("refusing to run jobs: " + string.Join("; ", problems));
        }

        var table = SyscallTable.Current!;
        Directory.CreateDirectory(options.StateDirectory);
        File.SetUnixFileMode(options.StateDirectory, (UnixFileMode)0x1ed);
        var root = Path.Combine(options.StateDirectory, "root");
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0x1ed);

        var pooled = options.Network == NetworkIsolation.Auto;
        var seccomp = SeccompCompiler.Compile(DefaultSeccompPolicy.Policy, table);
        ICgroupFactory cgroups = options.Cgroups switch
        {
            CgroupMode.V1 => new CgroupV1Factory(options.CgroupV1Root, options.CgroupName),
            CgroupMode.V2 => new CgroupV2Factory(options.CgroupV2Root, options.CgroupName),
            _ => Capabilities.CgroupV2Controllers
                ? new CgroupV2Factory(options.CgroupV2Root, options.CgroupName)
                : new CgroupV1Factory(options.CgroupV1Root, options.CgroupName),
        };

        var pool = new CgroupPool(cgroups, CgroupPoolSize); // owns the factory from here on
        NetnsPool? netns = null;
        Mounts.HostStaging? host = null;
        Runtime rt;
        try
        {
            netns = pooled ? NetnsPool.Create(NetnsPoolSize) : null;
            host = Mounts.HostStaging.Create(options);
            var features = new PlanFeatures(Capabilities.Clone3, cgroups.UsesCloneInto && Capabilities.Clone3, netns is null, Capabilities.LandlockScopes,
                Capabilities.CapLastCap, host);
            rt = new Runtime(table, pool, netns, seccomp, features, SpawnRoutine.CreateInitMemfd(), host)
            {
                Identities = new JobIdentities(options.HostIdBase),
                ServerPidfd = ServerProcess.OpenPidfd(),
                Owner = (Libc.Geteuid(), ServerProcess.Securebits()),
            };
        }
        catch
        {
            pool.Dispose();
            netns?.Dispose();
            host?.Dispose();
            throw;
        }

        LogReady(logger, cgroups.Description, pooled ? "pooled-per-job-netns" : "clone-per-job-netns", seccomp.Length);
        return rt;
    }

    private void Run(Runtime rt, SandboxSpec spec, ISandboxOutputSink output, Action<SandboxResult> publish, CancellationToken cancellationToken)
    {
        var requested = Stopwatch.GetTimestamp();
        var executable = ResolveExecutable(spec);
        if (executable is null)
        {
            publish(SetupError($"program '{spec.Argv[0]}' was not found in the sandbox PATH ({options.Path})"));
            return;
        }

        // Disposed last (after the job is reaped): the uids are reused only once every job process is gone.
        using var identity = rt.Identities.Take();
        WorkspaceOwnership.Transfer(spec.WorkspaceDirectory, identity.JobUid, identity.JobUid);
        using var cgroup = rt.Cgroups.Take();
        cgroup.Apply(spec.Limits);

        // A step with egress joins its own namespace, whose only way out is its proxy; closed when the step ends.
        using var egress = spec.Egress.Count == 0 ? null : EgressNamespace.Create(spec.Egress, options.Egress, logger);
        using var fds = ChildPipes.Create(spec.Stdin.Span);
        ClonedChild child;
        var owner = new CloneOwner(identity.RootUid, rt.Owner.RestoreEuid, rt.Owner.Securebits);
        using var netns = egress is not null ? null : rt.Netns?.Take();
        using var mounts = new MountNamespaceHold();
        using var slot = new StartSlot(spec.StartGate);
        var workspaceTree = OpenWorkspaceTree(spec.WorkspaceDirectory);
        try
        {
            using (var runtimeViews = rt.Host.Runtime.Acquire())
            using (var plan = SandboxPlanCompiler.Compile(rt.Table, options, spec, executable, BuildEnvironment(spec, egress), fds.ForChild(rt.InitFd, rt.ServerPidfd, workspaceTree, cgroup.TaskFds), rt.Features, runtimeViews.Entries, rt.Seccomp)
                       .Build(CloneArgsFor(rt, cgroup, egress is not null), rt.Features.UseClone3, egress?.Fd ?? netns?.Fd ?? -1, egress?.HostFd ?? rt.Netns?.HostFd ?? -1, fds.ErrWrite, owner))
            {
                child = Spawner.Clone(plan);
                Libc.CloseQuietly(ref workspaceTree); // the child has its own copy of the fd table
                netns?.Dispose(); // the namespace is the child's alone now: it dies with the job
                mounts.Hold(child.Pid);
                SpawnOutcome outcome;
                try
                {
                    fds.CloseChildEnds();
                    identity.WriteMaps(child.Pid, Mounts.MountPlan.JobUid);
                    outcome = Spawner.Release(plan, child, fds.SyncWrite, fds.ErrRead, options.SetupTimeout, spec.StartGate is null ? null : () => slot.Take(cancellationToken));
                }
                catch
                {
                    Spawner.KillAndReap(child.Pidfd, child.Pid);
                    Libc.Close(child.Pidfd);
                    throw;
                }

                if (!outcome.Execed)
                {
                    Spawner.Reap(child.Pidfd, child.Pid, out _);
                    Libc.Close(child.Pidfd);
                    var what = outcome.FailedStep is { } step ? $"{step.Description} ({step.Syscall}): {Libc.Describe(outcome.Errno)}" : $"plan step failed: {Libc.Describe(outcome.Errno)}";
                    if (outcome.FailedStep?.Kind == StepKind.Job)
                    {
                        publish(SetupError(what));
                        return;
                    }

                    LogIsolationFailure(logger, what);
                    throw new SandboxUnavailableException("sandbox setup failed, nothing was executed: " + what);
                }
            }
        }
        finally
        {
            Libc.CloseQuietly(ref workspaceTree);
        }

        var spawnLatency = Stopwatch.GetElapsedTime(requested);
        var reaped = false;
        SandboxResult result;
        try
        {
            var monitor = new JobMonitor(child, cgroup, spec.Limits, output, spec.CpuProgress, options.LimitCheckInterval, cancellationToken);
            var m = monitor.Run(fds.StdoutRead, fds.StderrRead, fds.StatusRead);
            reaped = m.Reaped;
            result = new SandboxResult(m.Reason, m.Status?.ExitCode, m.Status?.Signal, m.Usage.Cpu, m.Usage.MemoryPeakBytes, m.Wall)
            {
                StdoutBytes = m.Stdout,
                StderrBytes = m.Stderr,
                OutputTruncated = m.Truncated,
                SpawnLatency = spawnLatency,
                Detail = m.ExecErrno is { } errno ? $"execute {executable}: {Libc.Describe(errno)}"
                    : m.DropErrno is { } drop ? $"sandrun-init could not start the program as the job's user: {Libc.Describe(drop)}"
                    : m.Status is null && m.Reason == FailureReason.SetupError ? "the exit status was collected by another component (ECHILD)" : null,
            };
        }
        finally
        {
            if (!reaped)
            {
                Spawner.KillAndReap(child.Pidfd, child.Pid);
            }

            Libc.Close(child.Pidfd);
        }

        // Every process of the job is gone: the workspace may be handed to the next run, and the slot to the next
        // program. Removing the cgroup and closing fds happens after, off the caller's critical path.
        slot.Dispose();
        publish(result);
    }

    private static SandboxResult SetupError(string detail) =>
        new(FailureReason.SetupError, null, null, TimeSpan.Zero, 0, TimeSpan.Zero) { Detail = detail };

    private static CloneArgs CloneArgsFor(Runtime rt, IJobCgroup cgroup, bool joinsEgressNetns)
    {
        var flags = CloneFlags.Vm | CloneFlags.Pidfd | CloneFlags.NewUser | CloneFlags.NewNs | CloneFlags.NewPid | CloneFlags.NewIpc | CloneFlags.NewUts;
        if (rt.Features.PerJobNetns && !joinsEgressNetns)
        {
            flags |= CloneFlags.NewNet;
        }

        var args = new CloneArgs { ExitSignal = CloneFlags.SigChld };
        if (rt.Features.UseClone3)
        {
            flags |= CloneFlags.ClearSighand;
            if (rt.Features.CgroupIntoClone)
            {
                flags |= CloneFlags.IntoCgroup | CloneFlags.NewCgroup;
                args.Cgroup = (ulong)cgroup.CloneIntoFd;
            }
        }

        args.Flags = flags;
        return args;
    }

    private List<string> BuildEnvironment(SandboxSpec spec, EgressNamespace? egress)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = options.Path,
            ["HOME"] = "/tmp",
            ["TMPDIR"] = "/tmp",
            ["LANG"] = "C.UTF-8",
            ["USER"] = "sandbox",
            ["LOGNAME"] = "sandbox",
        };
        foreach (var (key, value) in spec.Environment.Concat(egress?.Environment ?? []))
        {
            env[key] = value;
        }

        return [.. env.Select(kv => kv.Key + "=" + kv.Value)];
    }

    private string? ResolveExecutable(SandboxSpec spec)
    {
        var program = spec.Argv[0];
        return program.Contains('/', StringComparison.Ordinal) ? program : FindInPath(program, spec.WorkspaceDirectory);
    }

    /// <summary>The sandbox path of <paramref name="program"/> in the sandbox PATH; PATH entries inside the workspace count only with one.</summary>
    private string? FindInPath(string program, string? workspaceDirectory)
    {
        foreach (var dir in options.Path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var inside = dir.TrimEnd('/') + "/" + program;
            var inWorkspace = inside.StartsWith(SandboxSpec.WorkspaceMountPath + "/", StringComparison.Ordinal);
            if (inWorkspace && workspaceDirectory is null)
            {
                continue;
            }

            var host = inWorkspace ? Path.Combine(workspaceDirectory!, inside[(SandboxSpec.WorkspaceMountPath.Length + 1)..]) : inside;
            if (File.Exists(host) && (File.GetUnixFileMode(host) & (UnixFileMode.OtherExecute | UnixFileMode.UserExecute)) != 0)
            {
                return inside;
            }
        }

        return null;
    }

    private static void Validate(SandboxSpec spec)
    {
        if (spec.Argv.Count == 0 || string.IsNullOrEmpty(spec.Argv[0]))
        {
            throw new ArgumentException("argv must name a program", nameof(spec));
        }

        if (spec.Argv.Any(a => a.Contains('\0', StringComparison.Ordinal)))
        {
            throw new ArgumentException("arguments cannot contain NUL", nameof(spec));
        }

        foreach (var (key, value) in spec.Environment)
        {
            if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"invalid environment variable name or value '{key}'", nameof(spec));
            }
        }

        if (!Path.IsPathFullyQualified(spec.WorkspaceDirectory) || !Directory.Exists(spec.WorkspaceDirectory)
            || new DirectoryInfo(spec.WorkspaceDirectory).LinkTarget is not null)
        {
            throw new ArgumentException($"workspace '{spec.WorkspaceDirectory}' must be an existing absolute directory (not a symlink)", nameof(spec));
        }

        if (!spec.WorkingDirectory.StartsWith('/'))
        {
            throw new ArgumentException("the working directory must be an absolute sandbox path", nameof(spec));
        }

        string[] reserved = ["/usr", "/bin", "/sbin", "/lib", "/proc", "/dev", "/tmp", "/etc", SandboxSpec.WorkspaceMountPath];
        foreach (var mount in spec.ReadOnlyMounts)
        {
            var target = mount.SandboxPath.TrimEnd('/');
            if (!target.StartsWith('/') || target.Split('/').Any(p => p is "." or "..")
                || reserved.Any(r => target == r || target.StartsWith(r + "/", StringComparison.Ordinal) || r.StartsWith(target + "/", StringComparison.Ordinal) || target.Length == 0)
                || !Path.IsPathFullyQualified(mount.HostPath) || !Directory.Exists(mount.HostPath))
            {
                throw new ArgumentException($"read-only mount '{mount.HostPath}' -> '{mount.SandboxPath}' is not allowed (an absolute, existing directory, outside system paths)", nameof(spec));
            }
        }

        var limits = spec.Limits;
        if (limits.WallTimeout <= TimeSpan.Zero || limits.CpuTime <= TimeSpan.Zero || limits.MemoryBytes < (4L << 20)
            || limits.MaxProcesses < 1 || limits.OutputBytesPerStream < 0 || limits.TmpBytes < 4096 || limits.MaxOpenFiles < 8)
        {
            throw new ArgumentException("sandbox limits out of range", nameof(spec));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sandbox ready: cgroup {Cgroup}, network {Network}, seccomp filter of {Instructions} instructions")]
    private static partial void LogReady(ILogger logger, string cgroup, string network, int instructions);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cleanup after a job failed (cgroup or fd left behind)")]
    private static partial void LogCleanupFailure(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandbox isolation setup failed: {What}")]
    private static partial void LogIsolationFailure(ILogger logger, string what);

    private sealed record Runtime(SyscallTable Table, CgroupPool Cgroups, NetnsPool? Netns, BpfInstruction[] Seccomp, PlanFeatures Features, int InitFd, Mounts.HostStaging Host)
    {
        public required JobIdentities Identities { get; init; }

        /// <summary>This process's pidfd, which each job's setup checks after arming PR_SET_PDEATHSIG.</summary>
        public required int ServerPidfd { get; init; }

        /// <summary>The spawning threads' own euid and securebits, restored after each clone.</summary>
        public required (uint RestoreEuid, long Securebits) Owner { get; init; }
    }
}
