using System.Globalization;
using System.Runtime.InteropServices;
using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Probe;

/// <summary>Detects what the kernel and host offer. Each check calls the feature with arguments it must reject, so nothing changes.</summary>
public static class CapabilityProbe
{
    /// <summary>Probes the host.</summary>
    public static CapabilityReport Probe(LinuxSandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var table = SyscallTable.Current;
        return new CapabilityReport
        {
            Architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(),
            Kernel = ReadTrimmed("/proc/sys/kernel/osrelease") ?? "unknown",
            SpawnRoutine = table is not null && Native.SpawnRoutine.BlobName is not null,
            Root = Libc.Geteuid() == 0,
            Namespaces = new[] { "user", "mnt", "pid", "ipc", "uts", "net", "cgroup" }.All(ns => File.Exists($"/proc/self/ns/{ns}"))
                         && ReadLong("/proc/sys/user/max_user_namespaces") is null or > 0,
            Clone3 = table is not null && Rejects(table["clone3"], 0, 0),
            Seccomp = (ReadTrimmed("/proc/sys/kernel/seccomp/actions_avail") ?? string.Empty).Split(' ') is var actions
                      && actions.Contains("kill_process") && actions.Contains("errno"),
            MountSetattr = table is not null && Rejects(table["mount_setattr"], -1, 0),
            Overlay = (ReadTrimmed("/proc/filesystems") ?? string.Empty).Split('\n').Any(l => l.EndsWith("\toverlay", StringComparison.Ordinal)),
            CloseRangeCloexec = table is not null && Libc.Syscall(table["close_range"], uint.MaxValue, uint.MaxValue, 4, 0, 0, 0) == 0,
            JobIdentities = table is not null && CanSwitchIdentity(table),
            LandlockAbi = table is null ? 0 : (int)Math.Max(0, Libc.Syscall(table["landlock_create_ruleset"], 0, 0, 1, 0, 0, 0)),
            CapLastCap = (int)(ReadLong("/proc/sys/kernel/cap_last_cap") ?? 63),
            CgroupV2Controllers = HasV2Controllers(options.CgroupV2Root),
            CgroupV1Controllers = File.Exists(Path.Combine(options.CgroupV1Root, "memory", "memory.limit_in_bytes"))
                                  && Directory.Exists(Path.Combine(options.CgroupV1Root, "pids"))
                                  && new[] { "cpuacct", "cpu,cpuacct", "cpuacct,cpu" }.Any(d => File.Exists(Path.Combine(options.CgroupV1Root, d, "cpuacct.usage"))),
        };
    }

    /// <summary>CAP_SETPCAP is effective (bit 8 of CapEff) and SECBIT_NO_SETUID_FIXUP_LOCKED (bit 3) is clear.</summary>
    private static bool CanSwitchIdentity(SyscallTable table)
    {
        const int PR_GET_SECUREBITS = 27, CAP_SETPCAP = 8, NoSetuidFixupLocked = 1 << 3;
        var bits = Libc.Syscall(table["prctl"], PR_GET_SECUREBITS, 0, 0, 0, 0, 0);
        var effective = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal))?[7..].Trim();
        return bits >= 0 && (bits & NoSetuidFixupLocked) == 0
            && ulong.TryParse(effective, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var caps) && (caps & (1UL << CAP_SETPCAP)) != 0;
    }

    /// <summary>True when the syscall exists: it answers something other than ENOSYS to bogus arguments.</summary>
    private static bool Rejects(long nr, long a0, long a1)
    {
        var r = Libc.Syscall(nr, a0, a1, 0, 0, 0, 0);
        return r != -1 || Libc.LastErrno != Libc.ENOSYS;
    }

    private static bool HasV2Controllers(string root)
    {
        var text = ReadTrimmed(Path.Combine(root, "cgroup.controllers"));
        if (text is null)
        {
            return false;
        }

        var controllers = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return controllers.Contains("memory") && controllers.Contains("pids") && controllers.Contains("cpu");
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long? ReadLong(string path) =>
        long.TryParse(ReadTrimmed(path), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
}
