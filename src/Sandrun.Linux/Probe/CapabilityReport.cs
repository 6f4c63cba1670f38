using System.Text;

namespace Sandrun.Linux.Probe;

/// <summary>What this host offers for sandboxing; produced by <see cref="CapabilityProbe"/>.</summary>
public sealed record CapabilityReport
{
    /// <summary>CPU architecture name.</summary>
    public required string Architecture { get; init; }

    /// <summary>Kernel release.</summary>
    public required string Kernel { get; init; }

    /// <summary>An embedded spawn routine and syscall table exist for this architecture.</summary>
    public required bool SpawnRoutine { get; init; }

    /// <summary>The process runs with root privileges (needed for uid maps, cgroups and mounts).</summary>
    public required bool Root { get; init; }

    /// <summary>user, mnt, pid, ipc, uts, net and cgroup namespaces are all available.</summary>
    public required bool Namespaces { get; init; }

    /// <summary>clone3 is available (else clone(2) is used).</summary>
    public required bool Clone3 { get; init; }

    /// <summary>seccomp filters with KILL_PROCESS and ERRNO actions.</summary>
    public required bool Seccomp { get; init; }

    /// <summary>mount_setattr (kernel ≥ 5.12), used for recursive read-only binds.</summary>
    public required bool MountSetattr { get; init; }

    /// <summary>overlayfs, through which jobs see host directories without mountinfo naming them (mountable in user namespaces since 5.11).</summary>
    public required bool Overlay { get; init; }

    /// <summary>close_range with CLOSE_RANGE_CLOEXEC (kernel ≥ 5.11).</summary>
    public required bool CloseRangeCloexec { get; init; }

    /// <summary>
    /// Whether the spawning thread can take a job's host uid around the clone while keeping its capabilities
    /// (CAP_SETPCAP and an unlocked SECBIT_NO_SETUID_FIXUP), so each job's user namespace has its own owner.
    /// </summary>
    public bool JobIdentities { get; init; } = true;

    /// <summary>Landlock ABI version, 0 when unavailable.</summary>
    public required int LandlockAbi { get; init; }

    /// <summary>Highest capability number (CAP_LAST_CAP).</summary>
    public required int CapLastCap { get; init; }

    /// <summary>cgroup v2 hierarchy with memory, pids and cpu controllers usable.</summary>
    public required bool CgroupV2Controllers { get; init; }

    /// <summary>cgroup v1 memory, pids and cpuacct controllers mounted.</summary>
    public required bool CgroupV1Controllers { get; init; }

    /// <summary>Landlock can scope abstract UNIX sockets and signals to the job (ABI ≥ 6): defence in depth where present, never required.</summary>
    public bool LandlockScopes => LandlockAbi >= 6;

    /// <summary>Every missing requirement, each a sentence naming the feature; empty when the sandbox can run.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            var problems = new List<string>();
            if (!SpawnRoutine)
            {
                problems.Add($"no spawn routine for architecture {Architecture}");
            }

            if (!Root)
            {
                problems.Add("not running as root: uid/gid maps, cgroups and mounts need root privileges (run it as root, e.g. with sudo)");
            }

            if (!Namespaces)
            {
                problems.Add("user, mount, pid, ipc, uts, net and cgroup namespaces are not all available (check user.max_user_namespaces)");
            }

            if (!Seccomp)
            {
                problems.Add("seccomp filtering with KILL_PROCESS is unavailable");
            }

            if (!MountSetattr)
            {
                problems.Add("mount_setattr is unavailable (kernel ≥ 5.12 required)");
            }

            if (!Overlay)
            {
                problems.Add("overlayfs is unavailable: jobs see host directories through it so that mountinfo names no host path (CONFIG_OVERLAY_FS)");
            }

            if (!CloseRangeCloexec)
            {
                problems.Add("close_range(CLOSE_RANGE_CLOEXEC) is unavailable (kernel ≥ 5.11 required)");
            }

            if (!JobIdentities)
            {
                problems.Add("cannot give each job its own host uid: CAP_SETPCAP is missing or SECBIT_NO_SETUID_FIXUP is locked");
            }

            if (!CgroupV1Controllers && !CgroupV2Controllers)
            {
                problems.Add("no usable cgroup controllers (need v2 memory+pids+cpu or v1 memory+pids+cpuacct; mount them, or point Sandrun:Sandbox:CgroupV1Root/CgroupV2Root at where they are)");
            }

            return problems;
        }
    }

    /// <summary>One line per feature, for the startup banner.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("sandbox: arch=").Append(Architecture).Append(" kernel=").Append(Kernel)
          .Append(" namespaces=").Append(Namespaces ? "yes" : "NO")
          .Append(" clone3=").Append(Clone3 ? "yes" : "no (clone fallback)")
          .Append(" cgroup=").Append(CgroupV2Controllers ? "v2" : CgroupV1Controllers ? "v1" : "NONE")
          .Append(" seccomp=").Append(Seccomp ? "yes" : "NO")
          .Append(" landlock=").Append(LandlockAbi > 0 ? $"abi {LandlockAbi}" : "no")
          .Append(" root=").Append(Root ? "yes" : "NO");
        foreach (var p in Problems)
        {
            sb.Append("\n  problem: ").Append(p);
        }

        return sb.ToString();
    }
}
