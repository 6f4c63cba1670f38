using System.Globalization;
using System.Text.Json;

namespace Sandrun.Cli.Terminal;

/// <summary>How the CLI writes a job's status and sizes for people (scripts use <c>--json</c>).</summary>
internal static class Summary
{
    /// <summary>One line: id, status (and why it failed), exit, CPU, peak memory, wall time.</summary>
    public static string Describe(JsonElement status)
    {
        var parts = new List<string>();
        var state = Text(status, "status") ?? "unknown";
        var reason = Text(status, "failure_reason");
        parts.Add($"{Text(status, "job_id")} {state}{(reason is null ? "" : $" ({reason})")}");
        if (state == "queued" && Number(status, "queue_position") is { } position and > 0)
        {
            parts.Add($"position {position}");
        }

        if (status.TryGetProperty("execution_metadata", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            if (Number(m, "exit_code") is { } exit)
            {
                parts.Add($"exit {exit}");
            }

            if (Number(m, "signal") is { } signal)
            {
                parts.Add($"signal {signal}");
            }

            if (Number(m, "cpu_seconds") is { } cpu)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"cpu {cpu:0.###} s"));
            }

            if (Number(m, "memory_peak_bytes") is { } memory)
            {
                parts.Add($"memory {Size((long)memory)}");
            }

            if (Number(m, "wall_time_ms") is { } wall)
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

    /// <summary>A string property, or null when absent or not a string.</summary>
    public static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number property, or null when absent or not a number.</summary>
    public static double? Number(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

}
