namespace Sandrun.Linux.Mounts;

/// <summary>
/// The sandbox's /etc, staged once per sandbox instance in a tmpfs of its own (<see cref="StagedTmpfs"/>) and
/// bound read-only with a single mount (a dozen binds per job cost more than everything else in the mount plan).
/// It holds generated passwd/group/hosts/... and copies of the configured host entries (symlinks kept as
/// symlinks) and an empty resolv.conf: no step resolves names itself (an install step's proxy does).
/// Host changes to those entries are picked up when the sandbox is created, not per job.
/// </summary>
internal sealed class EtcSnapshot : IDisposable
{
    private const ulong MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8;

    private EtcSnapshot(string path) => Path = path;

    public string Path { get; }

    public static EtcSnapshot Create(LinuxSandboxOptions options)
    {
        var path = StagedTmpfs.Mount(options.StateDirectory, "etc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64m,nr_inodes=16384,mode=0755");
        try
        {
            Stage(options, path);
        }
        catch
        {
            StagedTmpfs.Unmount(path);
            throw;
        }

        return new EtcSnapshot(path);
    }

    public void Dispose() => StagedTmpfs.Unmount(Path);

    private static void Stage(LinuxSandboxOptions options, string path)
    {
        var hostname = options.Hostname;
        Write(path, "passwd", $"root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:{MountPlan.JobUid}:{MountPlan.JobGid}:sandbox:/tmp:/bin/sh\n");
        Write(path, "group", $"root:x:0:\nsandbox:x:{MountPlan.JobGid}:\n");
        Write(path, "hostname", hostname + "\n");
        Write(path, "hosts", $"127.0.0.1\tlocalhost {hostname}\n::1\tlocalhost\n");
        Write(path, "nsswitch.conf", "passwd: files\ngroup: files\nhosts: files\n");
        Write(path, "resolv.conf", string.Empty);
        foreach (var source in options.EtcPaths)
        {
            if (!source.StartsWith("/etc/", StringComparison.Ordinal) || source.Contains("/../", StringComparison.Ordinal))
            {
                throw new ArgumentException($"EtcPaths entries must be below /etc: '{source}'", nameof(options));
            }

            Copy(source, System.IO.Path.Combine(path, source["/etc/".Length..]));
        }
    }

    private static void Copy(string source, string target)
    {
        var info = new FileInfo(source);
        if (info.LinkTarget is { } link)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.CreateSymbolicLink(target, link);
        }
        else if (Directory.Exists(source))
        {
            Directory.CreateDirectory(target);
            File.SetUnixFileMode(target, (UnixFileMode)0x1ed);
            foreach (var entry in Directory.EnumerateFileSystemEntries(source))
            {
                Copy(entry, System.IO.Path.Combine(target, System.IO.Path.GetFileName(entry)));
            }
        }
        else if (info.Exists)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(source, target);
            File.SetUnixFileMode(target, (UnixFileMode)0x1a4);
        }
    }

    private static void Write(string dir, string name, string contents)
    {
        var file = System.IO.Path.Combine(dir, name);
        File.WriteAllText(file, contents);
        File.SetUnixFileMode(file, (UnixFileMode)0x1a4);
    }
}
