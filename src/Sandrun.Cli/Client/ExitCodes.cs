using System.Text.Json;

namespace Sandrun.Cli.Client;

/// <summary>
/// How the CLI's exit code tells a script what happened. The job's own exit code passes through unchanged, so
/// `sandrun run` can stand in for running the program directly; the rest follow timeout(1) and shells.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The receipt did not verify (<c>verify</c>), or a download did not match its hash.</summary>
    public const int Invalid = 1;

    /// <summary>The CLI could not do what was asked: bad usage, server unreachable or refusing, unknown job.</summary>
    public const int Trouble = 2;

    /// <summary>The job hit a limit (wall time, CPU, memory, output), as timeout(1) reports a timeout.</summary>
    public const int LimitExceeded = 124;

    /// <summary>The job ended without its program's verdict: setup error, invalid receipt, worker or node lost.</summary>
    public const int NotRun = 125;

    /// <summary>The exit code that stands for a finished job's <c>/status</c> document.</summary>
    public static int ForJob(JsonElement status)
    {
        if (JsonFields.Text(status, "status") == "completed")
        {
            return 0;
        }

        var metadata = status.TryGetProperty("execution_metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return JsonFields.Text(status, "failure_reason") switch
        {
            "exit_code" when JsonFields.Integer(metadata, "exit_code") is { } code and > 0 => code,
            "signal" when JsonFields.Integer(metadata, "signal") is { } signal => 128 + signal,
            "timeout" or "cpu_limit" or "memory_limit" or "output_limit" => LimitExceeded,
            _ => NotRun,
        };
    }
}
