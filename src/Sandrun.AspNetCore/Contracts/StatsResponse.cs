using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /stats</c>: the caller's quota and system counters.</summary>
/// <param name="YourQuota">The calling client's quota.</param>
/// <param name="System">Jobs waiting and running on this server.</param>
public sealed record StatsResponse(
    [property: JsonPropertyName("your_quota")] QuotaView YourQuota,
    [property: JsonPropertyName("system")] SystemCounters System);

/// <summary>A client's quota.</summary>
/// <param name="Used">CPU seconds used in the sliding minute.</param>
/// <param name="Limit">CPU seconds allowed per sliding minute.</param>
/// <param name="Available">CPU seconds left.</param>
/// <param name="ActiveJobs">The client's queued plus running jobs.</param>
/// <param name="CanSubmit">Whether a submission now would be admitted.</param>
/// <param name="Reason">Why not, when it would not.</param>
public sealed record QuotaView(
    [property: JsonPropertyName("used")] double Used,
    [property: JsonPropertyName("limit")] double Limit,
    [property: JsonPropertyName("available")] double Available,
    [property: JsonPropertyName("active_jobs")] int ActiveJobs,
    [property: JsonPropertyName("can_submit")] bool CanSubmit,
    [property: JsonPropertyName("reason")] string? Reason);

/// <summary>Server-wide counters.</summary>
/// <param name="QueueLength">Jobs waiting.</param>
/// <param name="ActiveJobs">Jobs running.</param>
public sealed record SystemCounters(
    [property: JsonPropertyName("queue_length")] int QueueLength,
    [property: JsonPropertyName("active_jobs")] int ActiveJobs);
