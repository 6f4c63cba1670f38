using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /</c>: what this service is and the limits it applies (SPEC.md §2).</summary>
/// <param name="Service">Always <c>sandrun</c>.</param>
/// <param name="Status">Always <c>running</c>.</param>
/// <param name="Version">The Sandrun version, e.g. <c>0.1.0</c>.</param>
/// <param name="Description">One line about the service.</param>
/// <param name="Privacy">What is kept, and for how long (the configured retention).</param>
/// <param name="Limits">The configured job limits and per-client quotas.</param>
public sealed record ServiceInfo(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("privacy")] string Privacy,
    [property: JsonPropertyName("limits")] ServiceLimits Limits);

/// <summary>The limits a job runs under and the per-client quotas.</summary>
/// <param name="DefaultTimeoutSeconds">Wall timeout when the manifest names none.</param>
/// <param name="MaxTimeoutSeconds">Largest wall timeout a manifest may ask for.</param>
/// <param name="DefaultMemoryMb">Memory when the manifest names none.</param>
/// <param name="MaxMemoryMb">Largest memory a manifest may ask for.</param>
/// <param name="DefaultCpuSeconds">CPU seconds when the manifest names none.</param>
/// <param name="MaxCpuSeconds">Largest CPU time a manifest may ask for.</param>
/// <param name="MaxPids">Processes and threads per job.</param>
/// <param name="WorkspaceMb">Workspace size per job.</param>
/// <param name="OutputBytesPerStream">Output kept per stream.</param>
/// <param name="MaxUploadBytes">Largest upload.</param>
/// <param name="CpuSecondsPerMinute">Per-client CPU seconds per sliding minute.</param>
/// <param name="MaxActiveJobs">Per-client queued plus running jobs.</param>
/// <param name="MaxJobsPerHour">Per-client submissions per hour.</param>
public sealed record ServiceLimits(
    [property: JsonPropertyName("default_timeout_seconds")] int DefaultTimeoutSeconds,
    [property: JsonPropertyName("max_timeout_seconds")] int MaxTimeoutSeconds,
    [property: JsonPropertyName("default_memory_mb")] int DefaultMemoryMb,
    [property: JsonPropertyName("max_memory_mb")] int MaxMemoryMb,
    [property: JsonPropertyName("default_cpu_seconds")] int DefaultCpuSeconds,
    [property: JsonPropertyName("max_cpu_seconds")] int MaxCpuSeconds,
    [property: JsonPropertyName("max_pids")] int MaxPids,
    [property: JsonPropertyName("workspace_mb")] int WorkspaceMb,
    [property: JsonPropertyName("output_bytes_per_stream")] long OutputBytesPerStream,
    [property: JsonPropertyName("max_upload_bytes")] long MaxUploadBytes,
    [property: JsonPropertyName("cpu_seconds_per_minute")] double CpuSecondsPerMinute,
    [property: JsonPropertyName("max_active_jobs")] int MaxActiveJobs,
    [property: JsonPropertyName("max_jobs_per_hour")] int MaxJobsPerHour);
