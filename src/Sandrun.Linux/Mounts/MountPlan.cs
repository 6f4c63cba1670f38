using Sandrun.Abstractions;

namespace Sandrun.Linux.Mounts;

/// <summary>One piece of the sandbox's filesystem, described as data; <see cref="Spawn.SandboxPlanCompiler"/> turns it into syscalls.</summary>
internal abstract record MountEntry(string Target);

/// <summary>A size-capped tmpfs.</summary>
internal sealed record TmpfsEntry(string Target, long SizeBytes, long Inodes, int Mode, bool NoExec, bool ReadOnlyAfterSetup) : MountEntry(Target);

/// <summary>
/// A bind mount of a host directory. The staged /etc and /dev are tmpfs roots, so
/// mountinfo shows their root as "/" and nothing of the host path.
/// </summary>
internal sealed record BindEntry(string Source, string Target, bool ReadOnly, bool Device = false) : MountEntry(Target);

/// <summary>The job's workspace, read-write: a detached copy of its mount that the parent passes as an fd.</summary>
internal sealed record WorkspaceEntry(string Target) : MountEntry(Target);

/// <summary>A fresh procfs of the sandbox's pid namespace.</summary>
internal sealed record ProcEntry(string Target) : MountEntry(Target);

/// <summary>A symlink.</summary>
internal sealed record SymlinkEntry(string LinkTarget, string Target) : MountEntry(Target);

/// <summary>
/// A host directory shown read-only through an overlayfs of its own, mounted by the job: unlike a bind, its
/// mountinfo entry names neither the host path nor the host's block device, and being fresh per job it shows the
/// directory as it is now (a long-lived overlay keeps serving files the host has since replaced or removed).
/// </summary>
internal sealed record ReadOnlyViewEntry(string Source, string Target) : MountEntry(Target);

/// <summary>A read-only bind of a staged file or directory over an existing path (<see cref="ProcMasks"/>).</summary>
internal sealed record MaskEntry(string Source, string Target) : MountEntry(Target);

/// <summary>
/// The sandbox filesystem: a tmpfs root made read-only after setup, read-only views of the interpreter runtime
/// (/usr and the /bin, /lib* links or dirs), the staged /etc (<see cref="EtcSnapshot"/>), fresh /proc with
/// <see cref="ProcMasks"/>, minimal /dev (<see cref="DevSnapshot"/>; /dev/shm points into /tmp), a size-capped
/// /tmp, the read-write workspace and read-only views of the spec's extra directories.
/// </summary>
internal static class MountPlan
{
    public const int JobUid = 65534;
    public const int JobGid = 65534;

    /// <summary>The runtime entries, which depend only on the host and options (looked up once, staged by <see cref="RuntimeViews"/>).</summary>
    public static IReadOnlyList<MountEntry> RuntimeEntries(LinuxSandboxOptions options)
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
                entries.Add(new ReadOnlyViewEntry(path, path));
            }
        }

        return entries;
    }

    /// <summary>Every mount of one job, <paramref name="runtime"/> being its lease of the staged runtime views.</summary>
    public static IReadOnlyList<MountEntry> Create(HostStaging host, IReadOnlyList<MountEntry> runtime, SandboxSpec spec)
    {
        var entries = new List<MountEntry>(runtime.Count + 30)
        {
            new TmpfsEntry("/", 4L << 20, 4096, 0x1ed /* 0755 */, NoExec: false, ReadOnlyAfterSetup: true),
        };
        entries.AddRange(runtime);

        entries.Add(new BindEntry(host.Etc, "/etc", ReadOnly: true));
        entries.Add(new BindEntry(host.Dev, "/dev", ReadOnly: true, Device: true));
        entries.Add(new ProcEntry("/proc"));
        entries.AddRange(host.ProcMasks.For(spec.Limits.MemoryBytes));

        var inodes = Math.Max(1024, spec.Limits.TmpBytes / 4096);
        entries.Add(new TmpfsEntry("/tmp", spec.Limits.TmpBytes, inodes, 0x3ff /* 01777 */, NoExec: false, ReadOnlyAfterSetup: false));

        entries.Add(new WorkspaceEntry(SandboxSpec.WorkspaceMountPath));
        foreach (var mount in spec.ReadOnlyMounts)
        {
            entries.Add(new ReadOnlyViewEntry(mount.HostPath, mount.SandboxPath));
        }

        return entries;
    }
}
