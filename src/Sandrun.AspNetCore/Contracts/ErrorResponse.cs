using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary>Every error (SPEC.md §2): <c>{"error", "details"}</c>, plus <c>retry_after</c> when retrying later can succeed.</summary>
/// <param name="Error">Short error, e.g. <c>invalid manifest</c>, <c>quota exceeded</c>, <c>job not found</c>.</param>
/// <param name="Details">What exactly is wrong (names the field or entry).</param>
/// <param name="RetryAfter">Seconds to wait before retrying (also the <c>Retry-After</c> header); absent otherwise.</param>
public sealed record ErrorResponse(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("details")] string Details,
    [property: JsonPropertyName("retry_after"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RetryAfter = null);
