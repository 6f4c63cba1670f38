using System.Globalization;
using System.Text;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Cgroups;

/// <summary>cgroupfs control files, read and written with raw syscalls (they are on every job's hot path).</summary>
internal static unsafe class CgroupFiles
{
    private const int EBUSY = 16, ENOENT = 2;

    public static void Write(string path, string value) => Libc.WriteFile(path, value, create: true);

    public static long ReadLong(string path)
    {
        Span<byte> buffer = stackalloc byte[64];
        var n = Read(path, buffer);
        return long.Parse(Encoding.ASCII.GetString(buffer[..n]).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
    }

    /// <summary>Value of "key N" in a flat-keyed file (cpu.stat, memory.events, memory.oom_control); 0 when absent.</summary>
    public static long ReadKey(string path, string key)
    {
        Span<byte> buffer = stackalloc byte[4096];
        var text = buffer[..Read(path, buffer)];
        var k = Encoding.ASCII.GetBytes(key + " ");
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range];
            if (line.StartsWith(k))
            {
                return long.Parse(line[k.Length..], NumberStyles.Integer, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public static string Read(string path)
    {
        Span<byte> buffer = stackalloc byte[4096];
        return Encoding.ASCII.GetString(buffer[..Read(path, buffer)]);
    }

    public static void Mkdir(string path)
    {
        if (Libc.Mkdir(path, 0x1ed) != 0)
        {
            throw Libc.Error($"mkdir {path}");
        }
    }

    public static void MkdirIfMissing(string path)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path);
        }
    }

    /// <summary>Pids listed in a cgroup.procs file (empty if the cgroup is gone).</summary>
    public static List<int> Procs(string procsFile)
    {
        var result = new List<int>();
        try
        {
            foreach (var line in Read(procsFile).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
                {
                    result.Add(pid);
                }
            }
        }
        catch (ErrnoException e) when (e.Errno == ENOENT)
        {
        }

        return result;
    }

    /// <summary>SIGKILLs every pid in <paramref name="procsFile"/> until it is empty or time runs out.</summary>
    public static bool KillUntilEmpty(string procsFile, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var pids = Procs(procsFile);
            if (pids.Count == 0)
            {
                return true;
            }

            foreach (var pid in pids)
            {
                Libc.Kill(pid, Libc.SIGKILL);
            }

            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            Thread.Sleep(2);
        }
    }

    /// <summary>
    /// Removes a cgroup. Normally its processes are gone and one rmdir does it; while any remain (EBUSY)
    /// they are killed and the rmdir retried until <paramref name="timeout"/>.
    /// </summary>
    public static void Remove(string dir, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            if (Libc.Rmdir(dir) == 0 || Libc.LastErrno == ENOENT)
            {
                return;
            }

            var errno = Libc.LastErrno;
            if (errno != EBUSY || Environment.TickCount64 > deadline)
            {
                throw Libc.Error($"rmdir {dir}", errno);
            }

            KillUntilEmpty(Path.Combine(dir, "cgroup.procs"), TimeSpan.FromMilliseconds(100));
            Thread.Sleep(1);
        }
    }

    /// <summary>Removes an empty cgroup; one still in use (EBUSY) or already gone is left as it is.</summary>
    public static void RemoveIfUnused(string dir)
    {
        if (Libc.Rmdir(dir) != 0 && Libc.LastErrno is not (EBUSY or ENOENT))
        {
            throw Libc.Error($"rmdir {dir}");
        }
    }

    private static int Read(string path, Span<byte> buffer)
    {
        var fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0);
        if (fd < 0)
        {
            throw Libc.Error($"open {path}");
        }

        try
        {
            var total = 0;
            fixed (byte* p = buffer)
            {
                while (total < buffer.Length)
                {
                    var r = Libc.Read(fd, p + total, buffer.Length - total);
                    if (r < 0)
                    {
                        throw Libc.Error($"read {path}");
                    }

                    if (r == 0)
                    {
                        break;
                    }

                    total += (int)r;
                }
            }

            return total;
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
