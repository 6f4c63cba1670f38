using Sandrun.Linux.Native;

namespace Sandrun.Linux.Mounts;

/// <summary>
/// The sandbox's /dev, staged once per sandbox instance: a small host tmpfs (<see cref="StagedTmpfs"/>, mounted
/// without nodev so its nodes work, noexec, nosuid) holding null, zero, full, random and urandom, plus the fd/stdin/stdout/stderr
/// and shm links. Each job binds it read-only with one mount instead of five device binds.
/// </summary>
internal sealed class DevSnapshot : IDisposable
{
    private const ulong MS_NOSUID = 2, MS_NOEXEC = 8;
    private const int S_IFCHR = 0x2000;
    private static readonly (string Name, int Major, int Minor)[] Nodes = [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9)];
    private bool disposed;

    private DevSnapshot(string path) => Path = path;

    public string Path { get; }

    public static DevSnapshot Create(string stateDirectory)
    {
        var path = StagedTmpfs.Mount(stateDirectory, "dev", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755");
        var snapshot = new DevSnapshot(path);
        try
        {
            foreach (var (name, major, minor) in Nodes)
            {
                var node = System.IO.Path.Combine(path, name);
                if (Libc.Mknod(node, S_IFCHR | 0x1b6, Makedev(major, minor)) != 0)
                {
                    throw Libc.Error($"mknod {node}");
                }

                File.SetUnixFileMode(node, (UnixFileMode)0x1b6);
            }

            File.CreateSymbolicLink(System.IO.Path.Combine(path, "fd"), "/proc/self/fd");
            File.CreateSymbolicLink(System.IO.Path.Combine(path, "stdin"), "/proc/self/fd/0");
            File.CreateSymbolicLink(System.IO.Path.Combine(path, "stdout"), "/proc/self/fd/1");
            File.CreateSymbolicLink(System.IO.Path.Combine(path, "stderr"), "/proc/self/fd/2");

            // POSIX shared memory lives in the job's capped /tmp.
            File.CreateSymbolicLink(System.IO.Path.Combine(path, "shm"), "/tmp");
            return snapshot;
        }
        catch
        {
            snapshot.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        StagedTmpfs.Unmount(Path);
    }

    /// <summary>glibc's makedev for the small numbers used here (major &lt; 4096, minor &lt; 256).</summary>
    private static ulong Makedev(int major, int minor) => ((ulong)(uint)major << 8) | (uint)minor;
}
