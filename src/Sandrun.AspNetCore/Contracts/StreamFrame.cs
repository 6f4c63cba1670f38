using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary>A WebSocket frame of <c>/logs/{job_id}/stream?format=json</c>: output, the status, or an error.</summary>
/// <param name="Type"><c>stdout</c>, <c>stderr</c>, <c>status</c> or <c>error</c>.</param>
/// <param name="Data">The text.</param>
public sealed record StreamFrame(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("data")] string Data);

/// <summary>The last frame of a JSON stream: <c>{"type": "done", "data": {...}}</c>.</summary>
/// <param name="Type">Always <c>done</c>.</param>
/// <param name="Data">How the job ended.</param>
public sealed record DoneFrame(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("data")] DoneData Data);

/// <summary>How a streamed job ended.</summary>
/// <param name="Status"><c>completed</c> or <c>failed</c>.</param>
/// <param name="ExitCode">Exit status, or null.</param>
/// <param name="FailureReason">Null when completed.</param>
public sealed record DoneData(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("failure_reason")] string? FailureReason);
