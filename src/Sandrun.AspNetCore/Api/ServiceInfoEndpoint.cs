using System.Globalization;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore.Contracts;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /: the service, its version, the privacy promise with the configured retention, and the limits.</summary>
internal static class ServiceInfoEndpoint
{
    private static readonly string Version = typeof(ServiceInfoEndpoint).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static IResult Get(IOptions<SandrunOptions> options)
    {
        var o = options.Value;
        var l = o.Limits;
        var r = o.RateLimits;
        return ApiJson.Ok(
            new ServiceInfo(
                "sandrun",
                "running",
                Version,
                "Anonymous, ephemeral, sandboxed code execution",
                $"No accounts. Job data lives in RAM and is deleted after download, {Describe(o.Retention.AfterFailure)} after a failure "
                + $"or {Describe(o.Retention.AfterCompletion)} after completion. Logs hold ids, sizes and timings only.",
                new ServiceLimits(
                    l.DefaultTimeoutSeconds, l.MaxTimeoutSeconds, l.DefaultMemoryMb, l.MaxMemoryMb, l.DefaultCpuSeconds, l.MaxCpuSeconds,
                    l.MaxPids, l.WorkspaceMb, l.OutputBytesPerStream, l.MaxUploadBytes, r.CpuSecondsPerMinute, r.MaxActiveJobs, r.MaxJobsPerHour)),
            SandrunJsonContext.Default.ServiceInfo);
    }

    /// <summary>A retention period in words: "1 hour", "5 minutes", "90 seconds" (the largest whole unit).</summary>
    internal static string Describe(TimeSpan span)
    {
        (long Count, string Unit) whole = span.Ticks switch
        {
            var t when t % TimeSpan.TicksPerHour == 0 => (t / TimeSpan.TicksPerHour, "hour"),
            var t when t % TimeSpan.TicksPerMinute == 0 => (t / TimeSpan.TicksPerMinute, "minute"),
            var t when t % TimeSpan.TicksPerSecond == 0 => (t / TimeSpan.TicksPerSecond, "second"),
            _ => (0, ""),
        };
        return whole.Unit.Length == 0
            ? span.ToString("c", CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{whole.Count} {whole.Unit}{(whole.Count == 1 ? "" : "s")}");
    }
}
