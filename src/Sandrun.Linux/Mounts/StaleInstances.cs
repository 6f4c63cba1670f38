using System.Globalization;

namespace Sandrun.Linux.Mounts;

/// <summary>Per-instance state directories are named <c>{prefix}-{server pid}-{n}</c>; these helpers name and find them.</summary>
internal static class StaleInstances
{
    private static int sequence;

    /// <summary>A new instance directory path for this process.</summary>
    public static string NewPath(string stateDirectory, string prefix) => Path.Combine(stateDirectory,
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{Environment.ProcessId}-{Interlocked.Increment(ref sequence)}"));

    /// <summary>Instance directories left by server processes that no longer exist.</summary>
    public static IEnumerable<string> Find(string stateDirectory, string prefix)
    {
        if (!Directory.Exists(stateDirectory))
        {
            return [];
        }

        return Directory.GetDirectories(stateDirectory, prefix + "-*").Where(dir =>
        {
            var parts = Path.GetFileName(dir).Split('-');
            return parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}");
        });
    }
}
