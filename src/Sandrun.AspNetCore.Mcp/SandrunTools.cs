using System.ComponentModel;
using System.Diagnostics;
using System.Text.Unicode;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Sandrun.Abstractions;
using Sandrun.Jobs;
using Sandrun.Outputs;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>
/// The MCP tools: thin adapters from tool arguments to the engine (the same submission path, limits and per-client
/// quotas as <c>POST /submit</c>) and from jobs to tool results. Descriptions live in <see cref="SandrunToolCatalog"/>.
/// </summary>
internal sealed class SandrunTools(
    JobEngine engine, EngineEnvironment environment, McpCaller caller, IOptions<SandrunOptions> options, IOptions<SandrunMcpOptions> mcpOptions, IServiceProvider services)
{
    private const string CodeHelp = "The program's source text.";

    private const string StdinHelp = "Text given to the program's standard input (at most 1 MiB); without it stdin is empty.";

    private const string WaitHelp = "true (default): wait for the job to finish and return its output. false: return the job_id at once; poll check_job_status.";

    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<string> available = [.. Languages.Installed(environment.Interpreters).Select(l => l.Name)];

    private SandrunMcpOptions Mcp => mcpOptions.Value;

    public Task<CallToolResult> ExecutePython([Description(CodeHelp + " Runs as main.py with python3.")] string code, [Description(StdinHelp)] string? stdin = null, [Description(WaitHelp)] bool wait = true, IProgress<ProgressNotificationValue>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync("python", code, null, null, stdin, null, null, wait, progress, cancellationToken);

    public Task<CallToolResult> ExecuteJavascript([Description(CodeHelp + " Runs as main.js with node (CommonJS).")] string code, [Description(StdinHelp)] string? stdin = null, [Description(WaitHelp)] bool wait = true, IProgress<ProgressNotificationValue>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync("javascript", code, null, null, stdin, null, null, wait, progress, cancellationToken);

    public Task<CallToolResult> ExecuteBash([Description("The bash script. Runs as main.sh with bash.")] string script, [Description(StdinHelp)] string? stdin = null, [Description(WaitHelp)] bool wait = true, IProgress<ProgressNotificationValue>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync("bash", script, null, null, stdin, null, null, wait, progress, cancellationToken);

    public Task<CallToolResult> ExecuteCode(
        [Description("python, javascript, bash, sh, ruby, r or perl (aliases: python3, js, node, Rscript).")] string language,
        [Description(CodeHelp + " Written as main.<ext> and run with the language's interpreter from the job's directory.")] string code,
        [Description("Extra files to create next to the program: relative path → UTF-8 text content, e.g. {\"lib/util.py\": \"...\", \"data.csv\": \"a,b\\n1,2\"}.")] Dictionary<string, string>? files = null,
        [Description("Command-line arguments for the program (argv, never through a shell).")] string[]? args = null,
        [Description(StdinHelp)] string? stdin = null,
        [Description("Wall-clock limit in seconds. Above the server's maximum it is clamped.")] int? timeout = null,
        [Description("Memory limit in MiB (at least 16). Above the server's maximum it is clamped.")] int? memory_mb = null,
        [Description(WaitHelp)] bool wait = true,
        IProgress<ProgressNotificationValue>? progress = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(language, code, files, args, stdin, timeout, memory_mb, wait, progress, cancellationToken);

    public CallToolResult CheckJobStatus([Description("The job_id an execute_* tool returned.")] string job_id)
    {
        if (!engine.TryGet(job_id, out var job))
        {
            return ToolResults.JobNotFound(job_id);
        }

        return ToolResults.Json(JobReport.For(job, engine.PositionOf(job.Id), Mcp.MaxInlineOutputBytes, [], services.GetService<IResultSigner>()));
    }

    public CallToolResult GetJobLogs([Description("The job_id an execute_* tool returned.")] string job_id)
    {
        if (!engine.TryGet(job_id, out var job))
        {
            return ToolResults.JobNotFound(job_id);
        }

        var notes = new List<string>();
        var report = new Dictionary<string, object?> { ["job_id"] = job.Id, ["status"] = FailureNames.For(job.Status) };
        JobReport.AddLogs(report, job, Mcp.MaxInlineOutputBytes, notes);
        report["notes"] = notes;
        return ToolResults.Json(report);
    }

    public CallToolResult ListOutputs([Description("The job_id an execute_* tool returned.")] string job_id)
    {
        if (!engine.TryGet(job_id, out var job))
        {
            return ToolResults.JobNotFound(job_id);
        }

        var notes = new List<string>(job.Notes);
        if (!job.IsFinished)
        {
            notes.Add("the job has not finished; output files are collected when it does");
        }

        return ToolResults.Json(new Dictionary<string, object?>
        {
            ["job_id"] = job.Id,
            ["status"] = FailureNames.For(job.Status),
            ["outputs"] = JobReport.Outputs(job),
            ["notes"] = notes,
        });
    }

    public async Task<CallToolResult> ReadOutput(
        [Description("The job_id an execute_* tool returned.")] string job_id,
        [Description("The output's path as list_outputs gives it, relative to the job's directory (e.g. 'results/plot.png').")] string path,
        CancellationToken cancellationToken = default)
    {
        if (!engine.TryGet(job_id, out var job))
        {
            return ToolResults.JobNotFound(job_id);
        }

        var relative = Relative(path);
        var output = job.Outputs.FirstOrDefault(o => o.Path == relative);
        if (output is null)
        {
            var known = job.Outputs.Count == 0 ? "it has none" : "its outputs: " + string.Join(", ", job.Outputs.Take(20).Select(o => o.Path)) + (job.Outputs.Count > 20 ? ", …" : "");
            return ToolResults.Error(!job.IsFinished
                ? $"'{Shorten(path)}' is not an output yet: job {job.Id} is {FailureNames.For(job.Status)}; outputs are collected when it finishes"
                : $"'{Shorten(path)}' is not an output of job {job.Id}; {known}");
        }

        if (output.SizeBytes > Mcp.MaxReadOutputBytes)
        {
            return ToolResults.Error($"'{output.Path}' is {output.SizeBytes} bytes, above the {Mcp.MaxReadOutputBytes}-byte limit for read_output; download it over HTTP with GET /download/{job.Id}/{output.Path}");
        }

        var bytes = await ReadAsync(job, output, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return ToolResults.Error($"'{output.Path}' is no longer a regular file in the job's workspace");
        }

        var uri = $"sandrun://jobs/{job.Id}/outputs/{string.Join('/', output.Path.Split('/').Select(Uri.EscapeDataString))}";
        var header = new TextContentBlock { Text = $"{output.Path} ({bytes.Length} bytes, {output.MimeType}, sha256 {output.Sha256})" };
        if (output.MimeType is "image/png" or "image/jpeg" or "image/gif" or "image/webp")
        {
            return new CallToolResult { Content = [header, ImageContentBlock.FromBytes(bytes, output.MimeType)] };
        }

        if (Utf8.IsValid(bytes) && !bytes.AsSpan().Contains((byte)0))
        {
            return new CallToolResult { Content = [new TextContentBlock { Text = System.Text.Encoding.UTF8.GetString(bytes) }] };
        }

        return new CallToolResult
        {
            Content = [header, new EmbeddedResourceBlock { Resource = BlobResourceContents.FromBytes(bytes, uri, output.MimeType) }],
        };
    }

    private async Task<CallToolResult> RunAsync(
        string languageName, string code, IReadOnlyDictionary<string, string>? files, IReadOnlyList<string>? args, string? stdin, int? timeout, int? memoryMb, bool wait, IProgress<ProgressNotificationValue>? progress, CancellationToken cancellationToken)
    {
        var language = Languages.Find(languageName);
        if (language is null || !available.Contains(language.Name))
        {
            return ToolResults.Error($"language '{Shorten(languageName)}' is {(language is null ? "unknown" : "not installed on this server")}; available: {string.Join(", ", available)}");
        }

        var notes = new List<string>();
        string id;
        try
        {
            var (part, manifest) = CodeSubmission.Build(language, code, files, args, stdin, timeout, memoryMb, options.Value.Limits, notes);
            await using (part.Content.ConfigureAwait(false))
            {
                (id, _) = await engine.SubmitAsync(new SubmitRequest(caller.Current, [part], manifest), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (ToolRefusalException e)
        {
            return ToolResults.Error(e.Message);
        }
        catch (SubmitException e)
        {
            return ToolResults.Refused(e);
        }

        if (!engine.TryGet(id, out var job))
        {
            return ToolResults.JobNotFound(id);
        }

        if (wait && !await WaitAsync(job, progress, cancellationToken).ConfigureAwait(false))
        {
            notes.Add($"stopped waiting after {Mcp.MaxWaitSeconds} s (this server's longest wait); the job goes on");
        }

        return ToolResults.Json(JobReport.For(job, engine.PositionOf(job.Id), Mcp.MaxInlineOutputBytes, notes, services.GetService<IResultSigner>()));
    }

    /// <summary>
    /// Waits for the job up to <see cref="SandrunMcpOptions.MaxWaitSeconds"/>, reporting progress every second while
    /// it is queued or running, so clients that reset their request timeout on progress keep waiting. False when it
    /// is still going.
    /// </summary>
    private async Task<bool> WaitAsync(Job job, IProgress<ProgressNotificationValue>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var limit = TimeSpan.FromSeconds(Mcp.MaxWaitSeconds);
        while (true)
        {
            var left = limit - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            var wait = left < ProgressInterval ? left : ProgressInterval;
            try
            {
                await job.Completion.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (TimeoutException) when (wait < ProgressInterval)
            {
                // The last, partial wait: no report (timers may fire a little early, and a burst of reports a few
                // microseconds apart can reach the client out of order); the loop ends once no time is left.
            }
            catch (TimeoutException)
            {
                var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
                progress?.Report(new ProgressNotificationValue
                {
                    Progress = (float)elapsed,
                    Message = job.Status == JobStatus.Queued
                        ? $"{job.Id} queued, position {engine.PositionOf(job.Id)}"
                        : $"{job.Id} {FailureNames.For(job.Status)}, {elapsed:F0} s",
                });
            }
        }
    }

    private static async Task<byte[]?> ReadAsync(Job job, OutputFile output, CancellationToken cancellationToken)
    {
        using var handle = BeneathFile.OpenRegularFile(job.Workspace.Path, output.Path);
        if (handle is null)
        {
            return null;
        }

        // The job has ended, but read no more than was measured in case the file changed size since.
        var buffer = new byte[output.SizeBytes];
        await using var stream = new FileStream(handle, FileAccess.Read, 1);
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return read == buffer.Length ? buffer : buffer[..read];
    }

    /// <summary>Accepts the forms a model tends to use: <c>out.txt</c>, <c>./out.txt</c>, <c>/workspace/out.txt</c>.</summary>
    private static string Relative(string path)
    {
        var p = path.Trim();
        const string Workspace = SandboxSpec.WorkspaceMountPath + "/";
        if (p.StartsWith(Workspace, StringComparison.Ordinal))
        {
            p = p[Workspace.Length..];
        }

        while (p.StartsWith("./", StringComparison.Ordinal))
        {
            p = p[2..];
        }

        return p;
    }

    private static string Shorten(string s) => s.Length <= 100 ? s : s[..100] + "…";
}
