using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>SPEC.md wire values (<c>status</c>, <c>failure_reason</c>, CPU and wall figures), shared by /status, streaming, MCP and signed receipts.</summary>
public static class FailureNames
{
    /// <summary>The wire name of a status: <c>queued</c>, <c>running</c>, <c>completed</c>, <c>failed</c>.</summary>
    public static string For(JobStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>The wire name, or null for success/unfinished.</summary>
    public static string? For(FailureReason? reason) => reason switch
    {
        null or FailureReason.None => null,
        FailureReason.ExitCode => "exit_code",
        FailureReason.Signal => "signal",
        FailureReason.Timeout => "timeout",
        FailureReason.CpuLimit => "cpu_limit",
        FailureReason.MemoryLimit => "memory_limit",
        FailureReason.OutputLimit => "output_limit",
        _ => "setup_error",
    };

    /// <summary>CPU seconds as reported everywhere (microsecond precision).</summary>
    public static double CpuSeconds(TimeSpan cpu) => Math.Round(cpu.TotalSeconds, 6);

    /// <summary>Wall time in whole milliseconds, as reported everywhere.</summary>
    public static long WallMilliseconds(TimeSpan wall) => (long)Math.Round(wall.TotalMilliseconds);
}
