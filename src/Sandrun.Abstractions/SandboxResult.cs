namespace Sandrun.Abstractions;

/// <summary>How a sandboxed program ended, with per-job measurements from cgroup accounting.</summary>
/// <param name="FailureReason">Why the job failed, or <see cref="FailureReason.None"/> when it exited 0 within all limits.</param>
/// <param name="ExitCode">Exit status when the program exited; null when a signal ended it.</param>
/// <param name="Signal">The signal that ended the program, or null.</param>
/// <param name="CpuTime">CPU time used by all processes of the job.</param>
/// <param name="MemoryPeakBytes">Peak memory of the job.</param>
/// <param name="WallTime">From exec to exit.</param>
public sealed record SandboxResult(FailureReason FailureReason, int? ExitCode, int? Signal, TimeSpan CpuTime, long MemoryPeakBytes, TimeSpan WallTime)
{
    /// <summary>Bytes of standard output produced (kept up to the limit).</summary>
    public long StdoutBytes { get; init; }

    /// <summary>Bytes of standard error produced (kept up to the limit).</summary>
    public long StderrBytes { get; init; }

    /// <summary>True when an output stream hit its cap and was cut.</summary>
    public bool OutputTruncated { get; init; }

    /// <summary>Time from the spawn request until the program was exec'd (sandbox setup cost), without any wait for a <see cref="SandboxSpec.StartGate"/> slot.</summary>
    public TimeSpan SpawnLatency { get; init; }

    /// <summary>Human-readable detail for setup errors.</summary>
    public string? Detail { get; init; }

    /// <summary>True when the job succeeded.</summary>
    public bool Succeeded => FailureReason == FailureReason.None;
}

/// <summary>Why a job failed (SPEC.md <c>failure_reason</c>).</summary>
public enum FailureReason
{
    /// <summary>Exited 0 within all limits.</summary>
    None = 0,

    /// <summary>Exited with a non-zero status.</summary>
    ExitCode,

    /// <summary>Ended by a signal it did not get from a limit.</summary>
    Signal,

    /// <summary>Killed at the wall-clock timeout.</summary>
    Timeout,

    /// <summary>Killed for exceeding its CPU time.</summary>
    CpuLimit,

    /// <summary>Killed by the out-of-memory killer at its memory limit.</summary>
    MemoryLimit,

    /// <summary>Killed for writing more output than allowed.</summary>
    OutputLimit,

    /// <summary>The sandbox could not start the program (e.g. the program does not exist).</summary>
    SetupError,
}
