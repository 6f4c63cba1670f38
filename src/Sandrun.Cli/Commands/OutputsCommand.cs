using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Sandrun.Cli.Client;
using Sandrun.Cli.Terminal;

namespace Sandrun.Cli.Commands;

/// <summary><c>sandrun outputs ID [--json]</c>: the job's output files, sizes and hashes.</summary>
internal static class OutputsCommand
{
    public static Command Create(Option<string?> server)
    {
        var id = StatusCommand.JobIdArgument();
        var json = new Option<bool>("--json") { Description = "Print the server's outputs document as JSON." };
        var command = new Command("outputs", "List a job's output files.") { id, json };
        command.SetAction(async (result, ct) =>
        {
            using var client = SandrunServer.Create(result.GetValue(server));
            var outputs = await client.GetJsonAsync(SandrunServer.JobPath("outputs", result.GetValue(id)!), ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                await Console.Out.WriteLineAsync(PrintedJson.Of(outputs)).ConfigureAwait(false);
                return 0;
            }

            var files = outputs.TryGetProperty("outputs", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [];
            foreach (var file in files)
            {
                var size = JsonFields.Number(file, "size_bytes") is { } bytes ? Summary.Size((long)bytes) : "?";
                var hash = JsonFields.Text(file, "sha256_hash") is { Length: >= 12 } sha ? sha[..12] : "?";
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{size,10}  {hash}  {JsonFields.Text(file, "path")}")).ConfigureAwait(false);
            }

            await Console.Out.WriteLineAsync($"{files.Count} output file{(files.Count == 1 ? "" : "s")} ({JsonFields.Text(outputs, "status")})").ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
