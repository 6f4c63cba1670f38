using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>SPEC.md <c>failure_reason</c> values, shared by /status and signed receipts.</summary>
public static class FailureNames
{
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
