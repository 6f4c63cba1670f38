using System.Diagnostics;
using System.Globalization;

namespace Sandrun.Benchmarks;

/// <summary>Timing and percentiles shared by the harnesses.</summary>
internal static class Samples
{
    /// <summary>The nearest-rank percentile of <paramref name="values"/>; <paramref name="q"/> from 0 to 1.</summary>
    public static double Percentile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>p50, p90 and p99 in milliseconds, aligned for a table.</summary>
    public static string Percentiles(List<double> samples) =>
        string.Create(CultureInfo.InvariantCulture, $"{Percentile(samples, 0.5),8:F2} {Percentile(samples, 0.9),8:F2} {Percentile(samples, 0.99),8:F2}");

    /// <summary>How long <paramref name="action"/> took, in milliseconds.</summary>
    public static async Task<double> TimeAsync(Func<Task> action)
    {
        var t = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }
}
