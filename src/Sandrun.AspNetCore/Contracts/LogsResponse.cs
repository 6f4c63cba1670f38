using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /logs/{job_id}</c> as JSON: the output so far, each stream on its own.</summary>
/// <param name="Stdout">Standard output (invalid UTF-8 replaced).</param>
/// <param name="Stderr">Standard error (invalid UTF-8 replaced).</param>
/// <param name="Truncated">Whether a stream reached the per-stream cap (the job was stopped then).</param>
public sealed record LogsResponse(
    [property: JsonPropertyName("stdout")] string Stdout,
    [property: JsonPropertyName("stderr")] string Stderr,
    [property: JsonPropertyName("truncated")] bool Truncated);
