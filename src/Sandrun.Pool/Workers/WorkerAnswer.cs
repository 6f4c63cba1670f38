namespace Sandrun.Pool.Workers;

/// <summary>A worker's HTTP answer, read whole (JSON answers are small).</summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="Body">The body text.</param>
/// <param name="ContentType">The Content-Type, if any.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> header, if any.</param>
public sealed record WorkerAnswer(int StatusCode, string Body, string? ContentType, string? RetryAfter);
