using System.Text.Json.Serialization;

namespace Sandrun.Pool.Contracts;

/// <summary><c>GET /pool</c> (SPEC.md §7): the workers and the pool's queue.</summary>
/// <param name="Workers">Every listed worker.</param>
/// <param name="Queued">Jobs waiting in the pool's queue.</param>
/// <param name="TotalWorkers">How many workers are listed (the original coordinator's field).</param>
/// <param name="HealthyWorkers">How many are usable: healthy and verified (the original coordinator's field).</param>
public sealed record PoolView(
    [property: JsonPropertyName("workers")] IReadOnlyList<PoolWorkerView> Workers,
    [property: JsonPropertyName("queued")] int Queued,
    [property: JsonPropertyName("total_workers")] int TotalWorkers,
    [property: JsonPropertyName("healthy_workers")] int HealthyWorkers);

/// <summary>One worker in <c>GET /pool</c>.</summary>
/// <param name="WorkerId">The listed key.</param>
/// <param name="Endpoint">The listed endpoint.</param>
/// <param name="Healthy">Whether its last probe got a 200.</param>
/// <param name="Verified">Whether its last probe proved the listed key.</param>
/// <param name="ActiveJobs">Jobs placed there that have not ended.</param>
/// <param name="MaxConcurrentJobs">The listed limit.</param>
/// <param name="Completed">Jobs that ended completed there.</param>
/// <param name="Failed">Jobs that ended failed there.</param>
/// <param name="LastError">The last problem seen, or null.</param>
/// <param name="LastHealthCheck">When it was last probed, or null.</param>
public sealed record PoolWorkerView(
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("endpoint")] string Endpoint,
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("verified")] bool Verified,
    [property: JsonPropertyName("active_jobs")] int ActiveJobs,
    [property: JsonPropertyName("max_concurrent_jobs")] int MaxConcurrentJobs,
    [property: JsonPropertyName("completed")] long Completed,
    [property: JsonPropertyName("failed")] long Failed,
    [property: JsonPropertyName("last_error")] string? LastError,
    [property: JsonPropertyName("last_health_check")] DateTimeOffset? LastHealthCheck);
