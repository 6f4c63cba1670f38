using System.Globalization;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Cgroups;

/// <summary>Small helpers for cgroupfs control files (no symlink following: cgroupfs has none).</summary>
internal static class CgroupFiles
{
    public static void Write(string path, string value) => Libc.WriteFile(path, value, create: true);

    public static string Read(string path) => File.ReadAllText(path);

    public static long ReadLong(string path) => long.Parse(Read(path).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);

    /// <summary>Value of "key N" in a flat-keyed file (cpu.stat, memory.events, memory.oom_control).</summary>
    public static long ReadKey(string path, string key)
    {
        foreach (var line in File.ReadLines(path))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && line.AsSpan(0, space).SequenceEqual(key))
            {
                return long.Parse(line.AsSpan(space + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            }
        }

        return 0;
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
            foreach (var line in File.ReadLines(procsFile))
            {
                if (int.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
                {
                    result.Add(pid);
                }
            }
        }
        catch (IOException)
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

    /// <summary>rmdir with retries: a cgroup stays busy briefly after its last process died.</summary>
    public static void RemoveDirectory(string path, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path);
                }

                return;
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(2);
            }
        }
    }
}
