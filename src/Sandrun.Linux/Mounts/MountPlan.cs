using Sandrun.Abstractions;

namespace Sandrun.Linux.Mounts;

/// <summary>One piece of the sandbox's filesystem, described as data; <see cref="Spawn.SandboxPlanCompiler"/> turns it into syscalls.</summary>
internal abstract record MountEntry(string Target);

/// <summary>A size-capped tmpfs.</summary>
internal sealed record TmpfsEntry(string Target, long SizeBytes, long Inodes, int Mode, bool NoExec, bool ReadOnlyAfterSetup) : MountEntry(Target);

/// <summary>A bind mount of a host path (directory or file).</summary>
internal sealed record BindEntry(string Source, string Target, bool IsDirectory, bool ReadOnly, bool Device = false) : MountEntry(Target);

/// <summary>A fresh procfs of the sandbox's pid namespace.</summary>
internal sealed record ProcEntry(string Target) : MountEntry(Target);

/// <summary>A symlink.</summary>
internal sealed record SymlinkEntry(string LinkTarget, string Target) : MountEntry(Target);

/// <summary>
/// The sandbox filesystem: a tmpfs root made read-only after setup, read-only binds of the interpreter
/// runtime (/usr and the /bin, /lib* links or dirs), the staged /etc (<see cref="EtcSnapshot"/>), fresh /proc,
/// minimal /dev (<see cref="DevSnapshot"/>; /dev/shm points into /tmp), a size-capped /tmp, and the read-write
/// workspace.
/// </summary>
internal static class MountPlan
{
    public const int JobUid = 65534;
    public const int JobGid = 65534;

    /// <summary>The entries that depend only on the host and options (looked up once, not per job).</summary>
    public static IReadOnlyList<MountEntry> HostEntries(LinuxSandboxOptions options, string etcSnapshot, string devSnapshot)
    {
        var entries = new List<MountEntry>();

        foreach (var path in options.RuntimePaths)
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is { } link)
            {
                entries.Add(new SymlinkEntry(link, path));
            }
            else if (Directory.Exists(path))
            {
                entries.Add(new BindEntry(path, path, IsDirectory: true, ReadOnly: true));
            }
        }

        entries.Add(new BindEntry(etcSnapshot, "/etc", IsDirectory: true, ReadOnly: true));
        entries.Add(new BindEntry(devSnapshot, "/dev", IsDirectory: true, ReadOnly: true, Device: true));
        return entries;
    }

    public static IReadOnlyList<MountEntry> Create(LinuxSandboxOptions options, IReadOnlyList<MountEntry> hostEntries, SandboxSpec spec)
    {
        var entries = new List<MountEntry>(hostEntries.Count + 20)
        {
            new TmpfsEntry("/", 4L << 20, 4096, 0x1ed /* 0755 */, NoExec: false, ReadOnlyAfterSetup: true),
        };
        entries.AddRange(hostEntries);
        entries.Add(new ProcEntry("/proc"));

        var inodes = Math.Max(1024, spec.Limits.TmpBytes / 4096);
        entries.Add(new TmpfsEntry("/tmp", spec.Limits.TmpBytes, inodes, 0x3ff /* 01777 */, NoExec: false, ReadOnlyAfterSetup: false));

        entries.Add(new BindEntry(spec.WorkspaceDirectory, SandboxSpec.WorkspaceMountPath, IsDirectory: true, ReadOnly: false));
        foreach (var mount in spec.ReadOnlyMounts)
        {
            entries.Add(new BindEntry(mount.HostPath, mount.SandboxPath, IsDirectory: Directory.Exists(mount.HostPath), ReadOnly: true));
        }

        return entries;
    }
}
