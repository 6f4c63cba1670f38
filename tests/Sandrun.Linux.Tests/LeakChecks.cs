using System.Globalization;

namespace Sandrun.Linux.Tests;

/// <summary>Inspects the host for anything a job could have left behind.</summary>
internal static class LeakChecks
{
    /// <summary>
    /// Processes running under any host uid of the sandbox's range (workspace owner and every job's pair), optionally
    /// only those whose command line contains <paramref name="marker"/>.
    /// </summary>
    public static List<int> JobProcesses(uint hostIdBase, string? marker = null)
    {
        var result = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // A zombie is dead already (its parent has not collected it yet).
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                var uidLine = status.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                var zombie = status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
                if (!zombie && uidLine is not null && uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                        .Any(u => uint.TryParse(u, CultureInfo.InvariantCulture, out var uid) && uid >= hostIdBase && uid - hostIdBase < (1u << 24))
                    && (marker is null || File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal)))
                {
                    result.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return result;
    }

    /// <summary>
    /// Names of job cgroups of this process still present in any v1 controller. A job's cgroups are removed
    /// right after its result is published, so this waits up to a second for the last ones to go.
    /// </summary>
    /// <param name="options">The sandbox's options.</param>
    /// <param name="allowPooled">How many empty, pre-created cgroups a live sandbox may keep warm.</param>
    public static List<string> JobCgroups(LinuxSandboxOptions options, int allowPooled = 0)
    {
        var deadline = Environment.TickCount64 + 1000;
        while (true)
        {
            var left = CurrentJobCgroups(options);
            if (left.Count <= allowPooled || Environment.TickCount64 > deadline)
            {
                return left;
            }

            Thread.Sleep(10);
        }
    }

    /// <summary>This process's per-instance parent cgroups (<c>{name}/{pid}-{n}</c>) in any v1 controller.</summary>
    public static List<string> ServerCgroups(LinuxSandboxOptions options, int? serverPid = null)
    {
        var prefix = (serverPid ?? Environment.ProcessId).ToString(CultureInfo.InvariantCulture) + "-";
        return new[] { "memory", "pids", "cpuacct", "cpu,cpuacct" }
            .Select(c => Path.Combine(options.CgroupV1Root, c, options.CgroupName))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.GetDirectories(d, prefix + "*"))
            .ToList();
    }

    private static List<string> CurrentJobCgroups(LinuxSandboxOptions options)
    {
        return ServerCgroups(options)
            .SelectMany(Directory.GetDirectories)
            .Select(Path.GetFileName)
            .Distinct()
            .ToList()!;
    }

    /// <summary>Mounts on the host that belong to the sandbox's own state or test workspaces.</summary>
    public static List<string> Mounts(string prefix) =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).ToList();
}
