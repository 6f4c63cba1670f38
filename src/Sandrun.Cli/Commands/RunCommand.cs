using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.Cli.Client;
using Sandrun.Cli.Terminal;
using Sandrun.Cli.Upload;

namespace Sandrun.Cli.Commands;

/// <summary><c>sandrun run FILE|DIR [options] [-- ARGS]</c>: upload, stream the output live, exit as the job did.</summary>
internal static class RunCommand
{
    /// <summary>SPEC §9: a job's standard input is at most 1 MiB.</summary>
    private const int MaxStdinBytes = 1024 * 1024;

    public static Command Create(Option<string?> server)
    {
        var path = new Argument<string>("FILE|DIR") { Description = "A program file (its name is the entrypoint), an archive, or a directory (packed as tar.gz; its job.json is the base manifest)." };
        var programArgs = new Argument<string[]>("ARGS") { Arity = ArgumentArity.ZeroOrMore, Description = "Arguments for the program; put them after --." };
        var interpreter = new Option<string?>("--interpreter") { Description = "python3, node, bash, sh, ruby, Rscript or perl (default: by the entrypoint's extension)." };
        var timeout = new Option<int?>("--timeout") { Description = "Wall-time limit in seconds." };
        var memory = new Option<int?>("--memory-mb") { Description = "Memory limit in MiB." };
        var stdin = new Option<string?>("--stdin") { Description = "A file to give the program as standard input, or - for this command's own (UTF-8, at most 1 MiB)." };
        var json = new Option<bool>("--json") { Description = "Print no live output; print the final status with stdout and stderr as one JSON document." };
        var command = new Command("run", "Run a file or directory in the sandbox, stream its output, exit with its exit code (128+N for signal N, 124 for a limit).")
        {
            path, programArgs, interpreter, timeout, memory, stdin, json,
        };
        command.SetAction((result, ct) => RunAsync(
            result.GetValue(server), result.GetValue(path)!, result.GetValue(programArgs) ?? [], result.GetValue(interpreter), result.GetValue(timeout),
            result.GetValue(memory), result.GetValue(stdin), result.GetValue(json), ct));
        return command;
    }

    private static async Task<int> RunAsync(string? serverUrl, string path, string[] args, string? interpreter, int? timeout, int? memoryMb,
        string? stdinSource, bool json, CancellationToken ct)
    {
        using var server = SandrunServer.Create(serverUrl);
        var line = StatusLine.ForStderr(quiet: json);
        using var upload = JobUpload.Open(path);
        foreach (var skipped in upload.Skipped)
        {
            await Console.Error.WriteLineAsync($"sandrun: not uploaded (a link or special file, not a regular file or directory): {skipped}").ConfigureAwait(false);
        }

        Apply(upload.Manifest, args, interpreter, timeout, memoryMb, stdinSource is null ? null : await ReadStdinAsync(stdinSource, ct).ConfigureAwait(false));
        using var form = upload.Form((sent, total) => line.Show($"uploading {Summary.Size(sent)} of {Summary.Size(total)} ({100 * sent / Math.Max(total, 1)}%)"));
        var submitted = await server.PostAsync("submit", form, ct).ConfigureAwait(false);
        var jobId = JsonFields.Text(submitted, "job_id") ?? throw new CliException("the server accepted the job but named no job_id");
        line.Show($"{jobId} queued");

        if (json)
        {
            var final = await JobOutput.WaitAsync(server, jobId, ct).ConfigureAwait(false);
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            await JobOutput.WriteLogsAsync(server, jobId, stdout, stderr, ct).ConfigureAwait(false);
            var document = JsonNode.Parse(final.GetRawText())!.AsObject();
            document["stdout"] = stdout.ToString();
            document["stderr"] = stderr.ToString();
            await Console.Out.WriteLineAsync(PrintedJson.Of(document)).ConfigureAwait(false);
            return ExitCodes.ForJob(final);
        }

        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watcher = WatchQueueAsync(server, jobId, line, watching.Token);
        JsonElement status;
        try
        {
            status = await JobOutput.FollowAsync(server, jobId, Console.Out, Console.Error, () =>
            {
                watching.Cancel();
                line.Clear();
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            await watcher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            line.Clear();
        }

        await Console.Error.WriteLineAsync($"sandrun: {Summary.Describe(status)}").ConfigureAwait(false);
        return ExitCodes.ForJob(status);
    }

    /// <summary>The command line's fields over the manifest (a directory's job.json, or the file's entrypoint).</summary>
    private static void Apply(JsonObject manifest, string[] args, string? interpreter, int? timeout, int? memoryMb, string? stdin)
    {
        if (interpreter is not null)
        {
            manifest["interpreter"] = interpreter;
        }

        if (args.Length > 0)
        {
            manifest["args"] = new JsonArray([.. args.Select(a => JsonValue.Create(a))]);
        }

        if (timeout is not null)
        {
            manifest["timeout"] = timeout;
        }

        if (memoryMb is not null)
        {
            manifest["memory_mb"] = memoryMb;
        }

        if (stdin is not null)
        {
            manifest["stdin"] = stdin;
        }
    }

    private static async Task<string> ReadStdinAsync(string source, CancellationToken ct)
    {
        byte[] bytes;
        try
        {
            await using var input = source == "-" ? Console.OpenStandardInput() : File.OpenRead(source);
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int n;
            while ((n = await input.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > MaxStdinBytes)
                {
                    throw new CliException($"--stdin {source}: more than {MaxStdinBytes} bytes; a job's standard input is at most 1 MiB");
                }
            }

            bytes = buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"--stdin {source}: {e.Message}");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new CliException($"--stdin {source}: not UTF-8 text (a job's standard input is a JSON string)");
        }
    }

    /// <summary>While the job waits, the status line shows its place in the queue (terminal only).</summary>
    private static async Task WatchQueueAsync(SandrunServer server, string jobId, StatusLine line, CancellationToken ct)
    {
        while (line.Enabled && !ct.IsCancellationRequested)
        {
            await Task.Delay(500, ct).ConfigureAwait(false);
            var status = await server.GetJsonAsync(SandrunServer.JobPath("status", jobId), ct).ConfigureAwait(false);
            line.Show(Summary.Describe(status));
        }
    }
}
