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

/// <summary>A small file written into the (later read-only) root.</summary>
internal sealed record FileEntry(string Contents, string Target) : MountEntry(Target);

/// <summary>
/// The sandbox filesystem: a tmpfs root made read-only after setup, read-only binds of the interpreter
/// runtime (/usr and the /bin, /lib* links or dirs), a minimal generated /etc plus a few read-only host
/// /etc entries, fresh /proc, minimal /dev, size-capped /tmp and /dev/shm, and the read-write workspace.
/// </summary>
internal static class MountPlan
{
    public const int JobUid = 65534;
    public const int JobGid = 65534;

    public static IReadOnlyList<MountEntry> Create(LinuxSandboxOptions options, SandboxSpec spec)
    {
        var entries = new List<MountEntry>
        {
            new TmpfsEntry("/", 4L << 20, 4096, 0x1ed /* 0755 */, NoExec: false, ReadOnlyAfterSetup: true),
        };

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

        entries.Add(new FileEntry($"root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:{JobUid}:{JobGid}:sandbox:/tmp:/bin/sh\n", "/etc/passwd"));
        entries.Add(new FileEntry($"root:x:0:\nsandbox:x:{JobGid}:\n", "/etc/group"));
        entries.Add(new FileEntry(options.Hostname + "\n", "/etc/hostname"));
        entries.Add(new FileEntry($"127.0.0.1\tlocalhost {options.Hostname}\n::1\tlocalhost\n", "/etc/hosts"));
        entries.Add(new FileEntry("passwd: files\ngroup: files\nhosts: files\n", "/etc/nsswitch.conf"));
        entries.Add(new FileEntry(string.Empty, "/etc/resolv.conf"));
        foreach (var path in options.EtcPaths)
        {
            if (Directory.Exists(path))
            {
                entries.Add(new BindEntry(path, path, IsDirectory: true, ReadOnly: true));
            }
            else if (File.Exists(path))
            {
                entries.Add(new BindEntry(path, path, IsDirectory: false, ReadOnly: true));
            }
        }

        entries.Add(new ProcEntry("/proc"));

        entries.Add(new TmpfsEntry("/dev", 64 << 10, 64, 0x1ed, NoExec: true, ReadOnlyAfterSetup: true));
        foreach (var node in new[] { "null", "zero", "full", "random", "urandom" })
        {
            entries.Add(new BindEntry("/dev/" + node, "/dev/" + node, IsDirectory: false, ReadOnly: false, Device: true));
        }

        entries.Add(new SymlinkEntry("/proc/self/fd", "/dev/fd"));
        entries.Add(new SymlinkEntry("/proc/self/fd/0", "/dev/stdin"));
        entries.Add(new SymlinkEntry("/proc/self/fd/1", "/dev/stdout"));
        entries.Add(new SymlinkEntry("/proc/self/fd/2", "/dev/stderr"));

        var inodes = Math.Max(1024, spec.Limits.TmpBytes / 4096);
        entries.Add(new TmpfsEntry("/dev/shm", spec.Limits.TmpBytes, inodes, 0x3ff /* 01777 */, NoExec: true, ReadOnlyAfterSetup: false));
        entries.Add(new TmpfsEntry("/tmp", spec.Limits.TmpBytes, inodes, 0x3ff, NoExec: false, ReadOnlyAfterSetup: false));

        entries.Add(new BindEntry(spec.WorkspaceDirectory, SandboxSpec.WorkspaceMountPath, IsDirectory: true, ReadOnly: false));
        foreach (var mount in spec.ReadOnlyMounts)
        {
            entries.Add(new BindEntry(mount.HostPath, mount.SandboxPath, IsDirectory: Directory.Exists(mount.HostPath), ReadOnly: true));
        }

        return entries;
    }
}
