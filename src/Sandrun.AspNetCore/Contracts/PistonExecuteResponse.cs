using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary>Piston v2's <c>POST /api/v2/execute</c> answer: the language and version that ran and the <c>run</c> stage.</summary>
/// <param name="Language">The language's name.</param>
/// <param name="Version">Its version on this server.</param>
/// <param name="Run">The run stage.</param>
/// <param name="JobId">Sandrun's job id (an addition: <c>/status</c> and <c>/outputs</c> take it).</param>
public sealed record PistonExecuteResponse(
    [property: JsonPropertyName("language")] string Language,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("run")] PistonStage Run,
    [property: JsonPropertyName("job_id")] string JobId);

/// <summary>One stage of a Piston execution, with Piston's field names.</summary>
/// <param name="Stdout">Standard output.</param>
/// <param name="Stderr">Standard error.</param>
/// <param name="Output">Both streams interleaved in arrival order.</param>
/// <param name="Code">Exit status; null when a signal ended the program.</param>
/// <param name="Signal">The signal's name (<c>SIGKILL</c>) when one ended the program, else null.</param>
/// <param name="Message">Why the run was stopped, or null.</param>
/// <param name="Status">Piston's status code: null (ran to its end), <c>RE</c> (non-zero exit), <c>SG</c> (signal, memory limit), <c>TO</c> (time limit), <c>OL</c> (output limit), <c>XX</c> (could not run).</param>
/// <param name="CpuTime">CPU time in milliseconds.</param>
/// <param name="WallTime">Wall time in milliseconds.</param>
/// <param name="Memory">Peak memory in bytes.</param>
public sealed record PistonStage(
    [property: JsonPropertyName("stdout")] string Stdout,
    [property: JsonPropertyName("stderr")] string Stderr,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("code")] int? Code,
    [property: JsonPropertyName("signal")] string? Signal,
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("cpu_time")] long? CpuTime,
    [property: JsonPropertyName("wall_time")] long? WallTime,
    [property: JsonPropertyName("memory")] long? Memory);

/// <summary>Piston's error answer: <c>{"message": "..."}</c>.</summary>
/// <param name="Message">What is wrong.</param>
public sealed record PistonError([property: JsonPropertyName("message")] string Message);
