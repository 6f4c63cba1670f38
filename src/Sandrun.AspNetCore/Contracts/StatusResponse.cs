using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /status/{job_id}</c> (SPEC.md §2): status, measurements, outputs and the signed receipt.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Status"><c>queued</c>, <c>running</c>, <c>completed</c> or <c>failed</c>.</param>
/// <param name="QueuePosition">1-based while queued, 0 otherwise.</param>
/// <param name="FailureReason">Null unless failed: <c>exit_code</c>, <c>signal</c>, <c>timeout</c>, <c>cpu_limit</c>, <c>memory_limit</c>, <c>output_limit</c> or <c>setup_error</c>.</param>
/// <param name="ExecutionMetadata">What the run measured (cgroup accounting); null figures until it has finished.</param>
/// <param name="JobHash">SHA-256 over the normalized manifest and the uploaded files (SPEC.md §6).</param>
/// <param name="OutputFiles">Output files by relative path; empty until the job has finished.</param>
/// <param name="WorkerMetadata">The signed receipt; every field null when the worker is anonymous or the job unfinished.</param>
/// <param name="Error">Why the sandbox could not run the job, for <c>setup_error</c>; otherwise null.</param>
/// <param name="Notes">The server's remarks on how the job was run (a GPU not given, files not listed as outputs); never job content, not signed.</param>
public sealed record StatusResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("queue_position")] int QueuePosition,
    [property: JsonPropertyName("failure_reason")] string? FailureReason,
    [property: JsonPropertyName("execution_metadata")] ExecutionMetadata ExecutionMetadata,
    [property: JsonPropertyName("job_hash")] string? JobHash,
    [property: JsonPropertyName("output_files")] IReadOnlyDictionary<string, OutputFileEntry> OutputFiles,
    [property: JsonPropertyName("worker_metadata")] WorkerMetadata WorkerMetadata,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes);

/// <summary>What a run measured.</summary>
/// <param name="CpuSeconds">CPU time of every process of the job.</param>
/// <param name="MemoryPeakBytes">Peak memory of the job.</param>
/// <param name="WallTimeMs">From exec to exit.</param>
/// <param name="ExitCode">Exit status; null when a signal ended the program or it has not finished.</param>
/// <param name="Signal">The signal that ended the program, or null.</param>
/// <param name="Environment">The environment template the job used, or null.</param>
/// <param name="Interpreter">The interpreter that ran the entrypoint.</param>
public sealed record ExecutionMetadata(
    [property: JsonPropertyName("cpu_seconds")] double? CpuSeconds,
    [property: JsonPropertyName("memory_peak_bytes")] long? MemoryPeakBytes,
    [property: JsonPropertyName("wall_time_ms")] long? WallTimeMs,
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("signal")] int? Signal,
    [property: JsonPropertyName("environment")] string? Environment,
    [property: JsonPropertyName("interpreter")] string Interpreter);

/// <summary>One output file in <c>output_files</c>.</summary>
/// <param name="Path">Path relative to the job's directory.</param>
/// <param name="SizeBytes">Size.</param>
/// <param name="Sha256Hash">Lowercase hex SHA-256 of the content.</param>
/// <param name="Type">Always <c>file</c>.</param>
public sealed record OutputFileEntry(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("sha256_hash")] string Sha256Hash,
    [property: JsonPropertyName("type")] string Type);
