using System.Runtime.InteropServices;
using Sandrun.Abstractions;
using Sandrun.Linux.Mounts;
using Sandrun.Linux.Seccomp;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Spawn;

/// <summary>
/// The file descriptors the child inherits, as numbers in the parent; <paramref name="Workspace"/> is a detached copy of the
/// workspace's mount, <paramref name="CgroupTasks"/> the job cgroups' <c>tasks</c> files the child joins through (v1).
/// </summary>
internal readonly record struct ChildFds(int Stdin, int Stdout, int Stderr, int ErrWrite, int SyncRead, int StatusWrite, int Init, int ServerPidfd, int Workspace, IReadOnlyList<int> CgroupTasks)
{
    public int[] All => [Stdin, Stdout, Stderr, ErrWrite, SyncRead, StatusWrite, Init, ServerPidfd, Workspace, .. CgroupTasks];
}

/// <summary>Host facts that change the plan's shape.</summary>
internal sealed record PlanFeatures(bool UseClone3, bool CgroupIntoClone, bool PerJobNetns, bool LandlockScopes, int CapLastCap, HostStaging Host);

/// <summary>
/// Compiles a job (spec + mount plan + policy) into the child's syscall list, in the order the research
/// settled on: fd hygiene → wait for the parent (maps, cgroup) → become inside-root → die with the server →
/// mounts → pivot_root → hostname/rlimits/capabilities → NO_NEW_PRIVS → Landlock → stdio → seccomp →
/// execveat(sandrun-init), which runs as sandbox uid 0 with only CAP_SETUID/SETGID/SETPCAP and starts the
/// payload as pid 2 under the job uid (see init.c): the payload can never write to the process that reports
/// its result.
/// </summary>
internal static class SandboxPlanCompiler
{
    private const long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_BIND = 4096, MS_REC = 16384, MS_PRIVATE = 1 << 18;
    private const ulong ATTR_RDONLY = 1, ATTR_NOSUID = 2, ATTR_NODEV = 4, ATTR_NOEXEC = 8;
    private const long AT_FDCWD = -100, AT_RECURSIVE = 0x8000, AT_EMPTY_PATH = 0x1000, MNT_DETACH = 2, MOVE_MOUNT_F_EMPTY_PATH = 4;
    private const long O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    private const int EEXIST = 17, EINVAL = 22;
    private const int EmptyLayerSlot = 2;
    private const long PR_SET_PDEATHSIG = 1, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_CLEAR_ALL = 4;
    private const long RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_STACK = 3, RLIMIT_CORE = 4, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7;
    private const long RLIMIT_MEMLOCK = 8, RLIMIT_SIGPENDING = 11, RLIMIT_MSGQUEUE = 12, RLIMIT_NICE = 13, RLIMIT_RTPRIO = 14;
    private const long SCHED_OTHER = 0;
    private const long SIGKILL = 9;
    private const short POLLIN = 1;

    /// <summary>Capabilities sandrun-init keeps (in the job's user namespace) to start the payload as the job uid.</summary>
    private static readonly int[] InitCapabilities = [6 /* CAP_SETGID */, 7 /* CAP_SETUID */, 8 /* CAP_SETPCAP */];

    // Per-user kernel budgets the server's own rlimits would otherwise grant each job. They are charged to the
    // job's own host uids (JobIdentities); these caps keep even that small. 128 KiB fits one default POSIX
    // message queue (10 × 8 KiB messages); 8 MiB is the kernel's default locked-memory limit.
    private const long MaxPendingSignals = 1024, MaxMessageQueueBytes = 128 * 1024, MaxLockedBytes = 8L << 20;
    private const long CLOSE_RANGE_CLOEXEC = 4, SECCOMP_SET_MODE_FILTER = 1;
    private const ulong LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET = 1, LANDLOCK_SCOPE_SIGNAL = 2;

    public static PlanBuilder Compile(
        SyscallTable table,
        LinuxSandboxOptions options,
        SandboxSpec spec,
        string executable,
        IReadOnlyList<string> environment,
        ChildFds fds,
        PlanFeatures features,
        IReadOnlyList<MountEntry> runtime,
        ReadOnlySpan<BpfInstruction> seccomp)
    {
        var b = new PlanBuilder(table);
        var root = Path.Combine(options.StateDirectory, "root");

        if (!features.UseClone3)
        {
            // clone(2) cannot clear handlers atomically (CLONE_CLEAR_SIGHAND): reset them before anything
            // can unblock a signal, so no .NET handler ever runs on the shared address space.
            var dfl = b.Bytes(new byte[32]);
            for (var sig = 1; sig <= 64; sig++)
            {
                b.Step("rt_sigaction", $"reset handler of signal {sig}", StepFlags.IgnoreErrors, 0, 0, StepKind.Isolation, sig, dfl, StepArg.Null, 8);
            }
        }

        EmitCloseAllBut(b, fds.All);

        // cgroup v1: join the job's cgroups first, while the parent writes the uid/gid maps (see IJobCgroup.TaskFds).
        var zero = b.Bytes("0"u8);
        foreach (var fd in fds.CgroupTasks)
        {
            b.Step("write", $"join the job's cgroup (tasks fd {fd})", StepFlags.RequirePositive, 0, 0, StepKind.Isolation, fd, zero, 1);
            b.Step("close", "close the cgroup's tasks fd", fd);
        }

        var one = b.Bytes(new byte[8]);
        b.Step("read", "wait for the parent (uid/gid maps, cgroup)", StepFlags.RequirePositive, 0, 0, StepKind.Isolation, fds.SyncRead, one, 1);
        if (!features.CgroupIntoClone)
        {
            // cgroup v1: the child joined its cgroups above; root the cgroup namespace here.
            b.Step("unshare", "unshare the cgroup namespace", 0x02000000L);
        }

        b.Step("setresgid", "become inside gid 0", 0, 0, 0);
        b.Step("setgroups", "clear supplementary groups", 0, StepArg.Null);
        b.Step("setresuid", "become inside uid 0 (setup and sandrun-init)", 0, 0, 0);

        // After the last credential change (which clears it): the job dies with the server's spawning thread.
        // The server may have died before this step; its pidfd is then readable and the job never starts.
        b.Step("prctl", "die with the server (PR_SET_PDEATHSIG)", PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        var serverPoll = b.Bytes(PollFdBytes(fds.ServerPidfd));
        b.Step("poll", "check the server is still alive", StepFlags.RequireZero, 0, 0, StepKind.Isolation, serverPoll, 1, 0);
        b.Step("close", "close the server's pidfd", fds.ServerPidfd);

        // A server run under a realtime policy must not pass it on: a job at SCHED_FIFO would keep the server's own
        // threads off the CPU for as long as it computes. Dropping from a realtime policy always succeeds; from
        // SCHED_IDLE it may not, and that policy is harmless. RLIMIT_RTPRIO and RLIMIT_NICE (below) keep it from rising.
        b.Step("sched_setscheduler", "drop to the normal scheduling policy", StepFlags.IgnoreErrors, 0, 0, StepKind.Isolation, 0, SCHED_OTHER, b.Bytes(new byte[8]));

        b.Step("mount", "make / private", StepArg.Null, b.String("/"), StepArg.Null, MS_REC | MS_PRIVATE, StepArg.Null);

        var mounts = MountPlan.Create(features.Host, runtime, spec);
        var emptyLayer = mounts.Any(m => m is ReadOnlyViewEntry) ? EmitOpenEmptyLayer(b, features.Host.EmptyLayer, fds.All.Max() + 1) : -1;
        var created = new HashSet<string>(StringComparer.Ordinal) { "/" };
        var readOnlyLater = new List<(string Path, ulong Attr)>();
        foreach (var entry in mounts)
        {
            var target = entry.Target == "/" ? root : root + entry.Target;
            if (entry.Target != "/")
            {
                EmitParents(b, root, entry.Target, created);
            }

            switch (entry)
            {
                case TmpfsEntry t:
                    if (entry.Target != "/")
                    {
                        EmitMkdir(b, target, created, entry.Target);
                    }

                    var flags = MS_NOSUID | MS_NODEV | (t.NoExec ? MS_NOEXEC : 0);
                    var data = FormattableString.Invariant($"size={t.SizeBytes},nr_inodes={t.Inodes},mode={Convert.ToString(t.Mode, 8)}");
                    b.Step("mount", $"mount tmpfs on {entry.Target}", b.String("tmpfs"), b.String(target), b.String("tmpfs"), flags, b.String(data));
                    if (t.ReadOnlyAfterSetup)
                    {
                        readOnlyLater.Add((entry.Target, ATTR_RDONLY | ATTR_NOSUID | ATTR_NODEV | (t.NoExec ? ATTR_NOEXEC : 0)));
                    }

                    break;
                case BindEntry bind:
                    EmitMkdir(b, target, created, entry.Target);
                    b.Step("mount", $"bind {bind.Source} to {entry.Target}", b.String(bind.Source), b.String(target), StepArg.Null, MS_BIND | MS_REC, StepArg.Null);
                    var attr = ATTR_NOSUID | (bind.ReadOnly ? ATTR_RDONLY : 0) | (bind.Device ? ATTR_NOEXEC : ATTR_NODEV);
                    b.Step("mount_setattr", $"restrict {entry.Target} ({(bind.ReadOnly ? "ro," : "")}nosuid)",
                        AT_FDCWD, b.String(target), AT_RECURSIVE, b.Struct(new MountAttr { AttrSet = attr }), 32);
                    break;
                case WorkspaceEntry:
                    // The parent's detached copy of the workspace's mount: the workspace never is in the host's table.
                    EmitMkdir(b, target, created, entry.Target);
                    b.Step("move_mount", $"attach the workspace at {entry.Target}", fds.Workspace, b.String(string.Empty), AT_FDCWD, b.String(target), MOVE_MOUNT_F_EMPTY_PATH);
                    b.Step("close", "close the workspace's mount fd", fds.Workspace);
                    b.Step("mount_setattr", $"restrict {entry.Target} (nosuid, nodev)",
                        AT_FDCWD, b.String(target), AT_RECURSIVE, b.Struct(new MountAttr { AttrSet = ATTR_NOSUID | ATTR_NODEV }), 32);
                    break;
                case ProcEntry:
                    EmitMkdir(b, target, created, entry.Target);
                    b.Step("mount", "mount /proc", b.String("proc"), b.String(target), b.String("proc"), MS_NOSUID | MS_NODEV | MS_NOEXEC, StepArg.Null);
                    break;
                case ReadOnlyViewEntry view:
                    // Named through the child's cwd and fd, the layers show up as /proc/self/... in mountinfo.
                    EmitMkdir(b, target, created, entry.Target);
                    b.Step("chdir", $"enter {view.Source} to show it at {entry.Target}", b.String(view.Source));
                    b.Step("mount", $"mount a read-only view of {view.Source} on {entry.Target}", b.String("overlay"), b.String(target), b.String("overlay"),
                        MS_RDONLY | MS_NOSUID | MS_NODEV, b.String(FormattableString.Invariant($"lowerdir=/proc/self/cwd:/proc/self/fd/{emptyLayer}")));
                    break;
                case MaskEntry mask:
                    // The bind inherits the staging mount's ro,nosuid,nodev,noexec.
                    b.Step("mount", $"mask {entry.Target}", b.String(mask.Source), b.String(target), StepArg.Null, MS_BIND, StepArg.Null);
                    break;
                case SymlinkEntry link:
                    b.Step("symlinkat", $"symlink {entry.Target}", b.String(link.LinkTarget), AT_FDCWD, b.String(target));
                    break;
                default:
                    throw new InvalidOperationException($"unknown mount entry {entry.GetType().Name}");
            }
        }

        b.Step("chdir", "enter the new root", b.String(root));
        b.Step("pivot_root", "pivot_root into the new root", b.String("."), b.String("."));
        b.Step("umount2", "detach the host's root", b.String("."), MNT_DETACH);
        b.Step("chdir", "chdir /", b.String("/"));
        foreach (var (path, attr) in readOnlyLater)
        {
            b.Step("mount_setattr", $"make {path} read-only", AT_FDCWD, b.String(path), 0, b.Struct(new MountAttr { AttrSet = attr }), 32);
        }

        var hostname = System.Text.Encoding.ASCII.GetBytes(options.Hostname);
        b.Step("sethostname", "set the hostname", b.Bytes(hostname), hostname.Length);
        b.Step("chdir", $"enter the working directory {spec.WorkingDirectory}", StepFlags.None, 0, 0, StepKind.Job, b.String(spec.WorkingDirectory));

        var limits = spec.Limits;
        var cpuBackstop = (long)Math.Ceiling(limits.CpuTime.TotalSeconds) + 2;
        EmitRlimit(b, RLIMIT_NOFILE, "RLIMIT_NOFILE", limits.MaxOpenFiles, limits.MaxOpenFiles);
        EmitRlimit(b, RLIMIT_FSIZE, "RLIMIT_FSIZE", limits.MaxFileSizeBytes, limits.MaxFileSizeBytes);
        EmitRlimit(b, RLIMIT_CORE, "RLIMIT_CORE", 0, 0);
        EmitRlimit(b, RLIMIT_STACK, "RLIMIT_STACK", limits.StackBytes, limits.StackBytes);
        EmitRlimit(b, RLIMIT_CPU, "RLIMIT_CPU", cpuBackstop, cpuBackstop);
        EmitRlimit(b, RLIMIT_NPROC, "RLIMIT_NPROC", limits.MaxProcesses, limits.MaxProcesses);
        EmitRlimit(b, RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING", MaxPendingSignals, MaxPendingSignals);
        EmitRlimit(b, RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", MaxMessageQueueBytes, MaxMessageQueueBytes);
        EmitRlimit(b, RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", MaxLockedBytes, MaxLockedBytes);
        EmitRlimit(b, RLIMIT_RTPRIO, "RLIMIT_RTPRIO", 0, 0);
        EmitRlimit(b, RLIMIT_NICE, "RLIMIT_NICE", 0, 0);

        for (var cap = 0; cap <= features.CapLastCap; cap++)
        {
            if (!InitCapabilities.Contains(cap))
            {
                b.Step("prctl", $"drop capability {cap} from the bounding set", PR_CAPBSET_DROP, cap);
            }
        }

        if (features.LandlockScopes)
        {
            var attr = b.Struct(new LandlockRulesetAttr { Scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL });
            b.Step("landlock_create_ruleset", "create the Landlock scope ruleset", StepFlags.SaveResult, 1, 0, StepKind.Isolation, attr, 24, 0);
        }

        b.Step("prctl", "clear ambient capabilities", PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        b.Step("prctl", "set NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (features.LandlockScopes)
        {
            b.Step("landlock_restrict_self", "enter the Landlock domain (abstract UNIX sockets and signals scoped to the job)", StepArg.Slot(1), 0);
            b.Step("close", "close the Landlock ruleset", StepArg.Slot(1));
        }

        b.Step("dup3", "stdin", fds.Stdin, 0, 0);
        b.Step("dup3", "stdout", fds.Stdout, 1, 0);
        b.Step("dup3", "stderr", fds.Stderr, 2, 0);
        b.Step("dup3", "status pipe for sandrun-init", fds.StatusWrite, 3, 0);
        var empty = b.Bytes(new byte[8]);
        b.Step("rt_sigprocmask", "unblock signals", 2 /* SIG_SETMASK */, empty, StepArg.Null, 8);
        b.Step("close_range", "mark every other fd close-on-exec", 4, uint.MaxValue, CLOSE_RANGE_CLOEXEC);

        // struct sock_fprog { u16 len; (pad); struct sock_filter *filter; }
        var filter = b.Bytes(MemoryMarshal.AsBytes(seccomp));
        var fprogBytes = new byte[16];
        BitConverter.TryWriteBytes(fprogBytes, (ushort)seccomp.Length);
        var fprog = b.BytesWithPointer(fprogBytes, 8, filter);
        b.Step("seccomp", "install the seccomp filter", SECCOMP_SET_MODE_FILTER, 0, fprog);

        // Set up, and confined: the program starts on the parent's second byte (a free slot); the pipe is close-on-exec.
        b.Step("read", "wait for the parent to start the program", StepFlags.RequirePositive, 0, 0, StepKind.Isolation, fds.SyncRead, one, 1);

        // pid 1 is sandrun-init (see init.c); it execs the payload as pid 2 and reports on fd 3.
        var argv = b.PointerArray([b.String("sandrun-init"), b.String(executable), .. spec.Argv.Select(a => b.String(a))]);
        var envp = b.PointerArray([.. environment.Select(e => b.String(e))]);
        b.Step("execveat", "execute sandrun-init", fds.Init, b.String(string.Empty), argv, envp, AT_EMPTY_PATH);
        return b;
    }

    /// <summary>struct pollfd { int fd; short events; short revents; }</summary>
    private static byte[] PollFdBytes(int fd)
    {
        var bytes = new byte[8];
        BitConverter.TryWriteBytes(bytes, fd);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), POLLIN);
        return bytes;
    }

    private static void EmitCloseAllBut(PlanBuilder b, int[] keep)
    {
        var next = 3;
        foreach (var fd in keep.Where(f => f >= 3).Distinct().Order())
        {
            if (fd > next)
            {
                b.Step("close_range", $"close inherited fds {next}..{fd - 1}", next, fd - 1, 0);
            }

            next = fd + 1;
        }

        b.Step("close_range", $"close inherited fds from {next}", next, uint.MaxValue, 0);
    }

    /// <summary>
    /// Opens the empty directory read-only overlays take as their second layer at fd <paramref name="fd"/>. The
    /// child opens it itself: overlayfs only takes layers from the mount namespace it is mounted in. The fd is
    /// close-on-exec.
    /// </summary>
    private static int EmitOpenEmptyLayer(PlanBuilder b, string path, int fd)
    {
        b.Step("openat", "open the empty overlay layer", StepFlags.SaveResult, EmptyLayerSlot, 0, StepKind.Isolation,
            AT_FDCWD, b.String(path), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);

        // EINVAL: openat already returned that number.
        b.Step("dup3", $"move the empty overlay layer to fd {fd}", StepFlags.None, 0, EINVAL, StepKind.Isolation, StepArg.Slot(EmptyLayerSlot), fd, O_CLOEXEC);
        return fd;
    }

    private static void EmitParents(PlanBuilder b, string root, string target, HashSet<string> created)
    {
        var parts = target.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var path = string.Empty;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            path += "/" + parts[i];
            EmitMkdir(b, root + path, created, path);
        }
    }

    private static void EmitMkdir(PlanBuilder b, string fullPath, HashSet<string> created, string sandboxPath)
    {
        if (created.Add(sandboxPath))
        {
            b.Step("mkdirat", $"mkdir {sandboxPath}", StepFlags.None, 0, EEXIST, StepKind.Isolation, AT_FDCWD, b.String(fullPath), 0x1ed);
        }
    }

    private static void EmitRlimit(PlanBuilder b, long resource, string name, long soft, long hard) =>
        b.Step("prlimit64", $"set {name}", 0, resource, b.Struct(new RLimit { Current = soft, Max = hard }), StepArg.Null);

    [StructLayout(LayoutKind.Sequential)]
    private struct MountAttr
    {
        public ulong AttrSet;
        public ulong AttrClr;
        public ulong Propagation;
        public ulong UsernsFd;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct LandlockRulesetAttr
    {
        public ulong HandledAccessFs;
        public ulong HandledAccessNet;
        public ulong Scoped;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public long Current;
        public long Max;
    }
}
