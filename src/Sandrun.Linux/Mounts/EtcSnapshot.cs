namespace Sandrun.Linux.Mounts;

/// <summary>
/// The sandbox's /etc, staged once per sandbox instance on the host and bound read-only with a single mount
/// (a dozen binds per job cost more than everything else in the mount plan). It holds generated
/// passwd/group/hosts/... and copies of the configured host entries (symlinks kept as symlinks).
/// Host changes to those entries are picked up when the sandbox is created, not per job.
/// </summary>
internal sealed class EtcSnapshot : IDisposable
{
    private EtcSnapshot(string path) => Path = path;

    public string Path { get; }

    public static EtcSnapshot Create(LinuxSandboxOptions options)
    {
        foreach (var stale in StaleInstances.Find(options.StateDirectory, "etc"))
        {
            Directory.Delete(stale, true);
        }

        var path = StaleInstances.NewPath(options.StateDirectory, "etc");
        if (Directory.Exists(path))
        {
            Directory.Delete(path, true);
        }

        Directory.CreateDirectory(path);
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

        File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
        return new EtcSnapshot(path);
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, true);
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
