using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>POST /submit</c> accepted the job.</summary>
/// <param name="JobId">The job's id: <c>job-</c> and 26 base32 characters; the only way to reach the job.</param>
/// <param name="Status">Always <c>queued</c>.</param>
/// <param name="Position">1-based place in the queue at submission.</param>
public sealed record SubmitResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("position")] int Position);
