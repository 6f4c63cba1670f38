using System.Globalization;
using Microsoft.Extensions.Options;

namespace Sandrun;

/// <summary>
/// Refuses settings no job could run with, at startup, naming the configuration key and the value it had
/// (e.g. <c>Sandrun:Limits:MaxMemoryMb must be ≥ 16 (was 8)</c>), instead of refusing every submission later.
/// </summary>
internal sealed class SandrunOptionsValidator : IValidateOptions<SandrunOptions>
{
    /// <summary>Below this a cgroup memory limit leaves no interpreter room to start (SPEC.md §3: min 16).</summary>
    public const int MinMemoryMb = 16;

    public ValidateOptionsResult Validate(string? name, SandrunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        AtLeast(failures, "Workers", options.Workers, 1, " (0 in configuration means one per CPU)");
        AtLeast(failures, "QueueCapacity", options.QueueCapacity, 1);

        var rates = options.RateLimits;
        if (!(rates.CpuSecondsPerMinute > 0))
        {
            failures.Add($"Sandrun:RateLimits:CpuSecondsPerMinute must be > 0 (was {Format(rates.CpuSecondsPerMinute)})");
        }

        AtLeast(failures, "RateLimits:MaxActiveJobs", rates.MaxActiveJobs, 1);
        AtLeast(failures, "RateLimits:MaxJobsPerHour", rates.MaxJobsPerHour, 1);

        var limits = options.Limits;
        DefaultWithinMax(failures, "TimeoutSeconds", limits.DefaultTimeoutSeconds, limits.MaxTimeoutSeconds, 1);
        DefaultWithinMax(failures, "MemoryMb", limits.DefaultMemoryMb, limits.MaxMemoryMb, MinMemoryMb);
        DefaultWithinMax(failures, "CpuSeconds", limits.DefaultCpuSeconds, limits.MaxCpuSeconds, 1);
        AtLeast(failures, "Limits:MaxPids", limits.MaxPids, 1);
        AtLeast(failures, "Limits:WorkspaceMb", limits.WorkspaceMb, 1);
        AtLeast(failures, "Limits:OutputBytesPerStream", limits.OutputBytesPerStream, 1);
        AtLeast(failures, "Limits:MaxUploadBytes", limits.MaxUploadBytes, 1);

        Positive(failures, "Retention:AfterFailure", options.Retention.AfterFailure);
        Positive(failures, "Retention:AfterCompletion", options.Retention.AfterCompletion);

        if (!Uri.TryCreate(options.Requirements.NpmRegistry, UriKind.Absolute, out _))
        {
            failures.Add($"Sandrun:Requirements:NpmRegistry must be an absolute URL (was '{options.Requirements.NpmRegistry}')");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AtLeast(List<string> failures, string key, long value, long min, string hint = "")
    {
        if (value < min)
        {
            failures.Add($"Sandrun:{key} must be ≥ {Format(min)} (was {Format(value)}){hint}");
        }
    }

    /// <summary>Both the default and the maximum at least <paramref name="min"/>, and the default no more than the maximum.</summary>
    private static void DefaultWithinMax(List<string> failures, string what, int defaultValue, int maxValue, int min)
    {
        AtLeast(failures, "Limits:Default" + what, defaultValue, min);
        AtLeast(failures, "Limits:Max" + what, maxValue, min);
        if (defaultValue > maxValue && maxValue >= min)
        {
            failures.Add($"Sandrun:Limits:Default{what} must be ≤ Sandrun:Limits:Max{what} ({Format(maxValue)}) (was {Format(defaultValue)})");
        }
    }

    private static void Positive(List<string> failures, string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Sandrun:{key} must be a positive time span such as \"00:05:00\" (was \"{value.ToString("c", CultureInfo.InvariantCulture)}\")");
        }
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
