using System.Globalization;
using System.Text.Json;
using Sandrun.Cli.Client;

namespace Sandrun.Cli.Terminal;

/// <summary>How the CLI writes a job's status and sizes for people (scripts use <c>--json</c>).</summary>
internal static class Summary
{
    /// <summary>One line: id, status (and why it failed), exit, CPU, peak memory, wall time.</summary>
    public static string Describe(JsonElement status)
    {
        var parts = new List<string>();
        var state = JsonFields.Text(status, "status") ?? "unknown";
        var reason = JsonFields.Text(status, "failure_reason");
        parts.Add($"{JsonFields.Text(status, "job_id")} {state}{(reason is null ? "" : $" ({reason})")}");
        if (state == "queued" && JsonFields.Number(status, "queue_position") is { } position and > 0)
        {
            parts.Add($"position {position}");
        }

        if (status.TryGetProperty("execution_metadata", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            if (JsonFields.Number(m, "exit_code") is { } exit)
            {
                parts.Add($"exit {exit}");
            }

            if (JsonFields.Number(m, "signal") is { } signal)
            {
                parts.Add($"signal {signal}");
            }

            if (JsonFields.Number(m, "cpu_seconds") is { } cpu)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"cpu {cpu:0.###} s"));
            }

            if (JsonFields.Number(m, "memory_peak_bytes") is { } memory)
            {
                parts.Add($"memory {Size((long)memory)}");
            }

            if (JsonFields.Number(m, "wall_time_ms") is { } wall)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"wall {wall:0} ms"));
            }
        }

        return string.Join(" · ", parts);
    }

    /// <summary>A byte count in B, KiB, MiB or GiB.</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };
}
