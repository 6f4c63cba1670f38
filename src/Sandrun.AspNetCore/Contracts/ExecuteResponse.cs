using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>POST /execute</c> (SPEC.md §9): the job's result in one answer (200), or how far it got when the wait ended first (202).</summary>
/// <param name="JobId">The job's id: <c>/status</c>, <c>/logs</c>, <c>/outputs</c> and <c>/download</c> take it as for any job.</param>
/// <param name="Status"><c>completed</c> or <c>failed</c>; <c>queued</c> or <c>running</c> with 202.</param>
/// <param name="Language">The language that ran (its canonical name).</param>
/// <param name="Version">That language's version on this server.</param>
/// <param name="ExitCode">Exit status; null when a signal ended the program or it has not finished.</param>
/// <param name="Signal">The signal that ended the program, or null.</param>
/// <param name="FailureReason">As <c>/status</c>: null unless failed.</param>
/// <param name="Stdout">Standard output so far (invalid UTF-8 replaced).</param>
/// <param name="Stderr">Standard error so far (invalid UTF-8 replaced).</param>
/// <param name="Truncated">Whether a stream reached the per-stream cap (the job was stopped then).</param>
/// <param name="CpuSeconds">CPU time of every process of the job; null until it has finished.</param>
/// <param name="MemoryPeakBytes">Peak memory of the job; null until it has finished.</param>
/// <param name="WallTimeMs">From exec to exit; null until it has finished.</param>
/// <param name="Outputs">Output files with download URLs, as <c>/outputs</c> lists them.</param>
/// <param name="JobHash">SHA-256 over the normalized manifest and the files (SPEC.md §6).</param>
/// <param name="WorkerMetadata">The signed receipt; every field null when the worker is anonymous or the job unfinished.</param>
/// <param name="Error">Why the sandbox could not run the job, for <c>setup_error</c>; otherwise null.</param>
public sealed record ExecuteResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("language")] string Language,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("signal")] int? Signal,
    [property: JsonPropertyName("failure_reason")] string? FailureReason,
    [property: JsonPropertyName("stdout")] string Stdout,
    [property: JsonPropertyName("stderr")] string Stderr,
    [property: JsonPropertyName("truncated")] bool Truncated,
    [property: JsonPropertyName("cpu_seconds")] double? CpuSeconds,
    [property: JsonPropertyName("memory_peak_bytes")] long? MemoryPeakBytes,
    [property: JsonPropertyName("wall_time_ms")] long? WallTimeMs,
    [property: JsonPropertyName("outputs")] IReadOnlyList<OutputListing> Outputs,
    [property: JsonPropertyName("job_hash")] string JobHash,
    [property: JsonPropertyName("worker_metadata")] WorkerMetadata WorkerMetadata,
    [property: JsonPropertyName("error")] string? Error);
