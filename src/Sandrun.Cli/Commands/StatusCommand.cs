using System.CommandLine;
using System.Text.Json;
using Sandrun.Cli.Client;
using Sandrun.Cli.Terminal;

namespace Sandrun.Cli.Commands;

/// <summary><c>sandrun status ID [--json]</c>.</summary>
internal static class StatusCommand
{
    public static Command Create(Option<string?> server)
    {
        var id = JobIdArgument();
        var json = new Option<bool>("--json") { Description = "Print the server's status document as JSON." };
        var command = new Command("status", "Show a job's status, measurements, outputs and receipt.") { id, json };
        command.SetAction(async (result, ct) =>
        {
            using var client = SandrunServer.Create(result.GetValue(server));
            var status = await client.GetJsonAsync(SandrunServer.JobPath("status", result.GetValue(id)!), ct).ConfigureAwait(false);
            await Console.Out.WriteLineAsync(result.GetValue(json) ? PrintedJson.Of(status) : Describe(status)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The job id argument every per-job command takes.</summary>
    public static Argument<string> JobIdArgument() => new("ID") { Description = "The job's id (job-…), as run or the server's submit answer printed it." };

    private static string Describe(JsonElement status)
    {
        var lines = new List<string> { Summary.Describe(status) };
        if (status.TryGetProperty("output_files", out var outputs) && outputs.ValueKind == JsonValueKind.Object)
        {
            var count = outputs.EnumerateObject().Count();
            if (count > 0)
            {
                lines.Add($"outputs: {count} file{(count == 1 ? "" : "s")} (sandrun outputs {JsonFields.Text(status, "job_id")})");
            }
        }

        if (JsonFields.Text(status, "error") is { } error)
        {
            lines.Add($"error: {error}");
        }

        var worker = status.TryGetProperty("worker_metadata", out var m) ? JsonFields.Text(m, "worker_id") : null;
        lines.Add(worker is null ? "receipt: none (anonymous worker, or not finished)" : $"receipt: signed by worker {worker} (sandrun verify {JsonFields.Text(status, "job_id")})");
        return string.Join(Environment.NewLine, lines);
    }
}
