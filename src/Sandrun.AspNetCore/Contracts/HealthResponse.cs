using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /health</c>: <c>healthy</c> (200) when jobs can run, otherwise <c>unhealthy</c> (503) with the reason.</summary>
/// <param name="Status"><c>healthy</c> or <c>unhealthy</c>.</param>
/// <param name="WorkerId">The worker's public key (Base64), or null when anonymous.</param>
/// <param name="Details">Why jobs cannot run; absent when healthy.</param>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("worker_id")] string? WorkerId,
    [property: JsonPropertyName("details"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Details = null);
