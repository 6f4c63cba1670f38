using System.Globalization;

using Sandrun.Linux.Native;

namespace Sandrun.Linux.Cgroups;

/// <summary>Removes job cgroups left behind by a server process that died (crash recovery).</summary>
internal static class CgroupSweeper
{
    private static int sequence;

    /// <summary>Name of a new per-instance parent cgroup: <c>{server pid}-{n}</c>.</summary>
    public static string InstanceName() => string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}-{Interlocked.Increment(ref sequence)}");

    /// <summary>Under <paramref name="sandrunDir"/>, removes every per-instance directory whose server pid is gone.</summary>
    public static void RemoveStale(string sandrunDir)
    {
        if (!Directory.Exists(sandrunDir))
        {
            return;
        }

        foreach (var serverDir in Directory.GetDirectories(sandrunDir))
        {
            var name = Path.GetFileName(serverDir);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (!int.TryParse(dash > 0 ? name[..dash] : name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || Directory.Exists($"/proc/{pid}"))
            {
                continue;
            }

            foreach (var jobDir in Directory.GetDirectories(serverDir))
            {
                CgroupFiles.KillUntilEmpty(Path.Combine(jobDir, "cgroup.procs"), TimeSpan.FromSeconds(5));
                TryRemove(jobDir);
            }

            TryRemove(serverDir);
        }
    }

    private static void TryRemove(string dir)
    {
        try
        {
            CgroupFiles.Remove(dir, TimeSpan.FromSeconds(2));
        }
        catch (ErrnoException)
        {
            // Still busy: the next start tries again.
        }
    }
}
