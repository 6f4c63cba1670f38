using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>The tools' names, descriptions (which state this server's actual limits) and behaviour hints.</summary>
internal static class SandrunToolCatalog
{
    private sealed record Entry(string Name, string Method, string Title, bool ReadOnly, Func<Facts, string> Describe);

    /// <summary>What the descriptions quote, read from the configured options.</summary>
    private sealed record Facts(LimitOptions Limits, RateLimitOptions Rates, SandrunMcpOptions Mcp, IReadOnlyList<string> Languages)
    {
        public static Facts From(IServiceProvider services)
        {
            var options = services.GetRequiredService<IOptions<SandrunOptions>>().Value;
            return new Facts(options.Limits, options.RateLimits, services.GetRequiredService<IOptions<SandrunMcpOptions>>().Value,
                [.. Runtimes.Languages.Installed(services.GetRequiredService<EngineEnvironment>().Interpreters).Select(l => l.Name)]);
        }
    }

    /// <summary>
    /// What the tools' arguments are read with and their input schemas made from: the MCP SDK's types, then ours. The
    /// SDK's default options find the parameter types (<c>Dictionary&lt;string, string&gt;</c>, <c>int?</c>) only by
    /// reflection, which a NativeAOT build does not have: the tools could not be created and the server stopped at startup.
    /// </summary>
    private static readonly JsonSerializerOptions ArgumentJson = new(McpJsonUtilities.DefaultOptions)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(McpJsonUtilities.DefaultOptions.TypeInfoResolver, McpJsonContext.Default),
    };

    private static readonly Entry[] Entries =
    [
        new("execute_python", nameof(SandrunTools.ExecutePython), "Run Python", false,
            f => "Run Python 3 code in an isolated Linux sandbox and return stdout, stderr, the exit code, the failure reason, CPU seconds and peak memory. " + Sandbox(f)),
        new("execute_javascript", nameof(SandrunTools.ExecuteJavascript), "Run JavaScript", false,
            f => "Run JavaScript with Node.js in an isolated Linux sandbox and return stdout, stderr, the exit code, the failure reason, CPU seconds and peak memory. " + Sandbox(f)),
        new("execute_bash", nameof(SandrunTools.ExecuteBash), "Run a bash script", false,
            f => "Run a bash script in an isolated Linux sandbox (coreutils and the host's /usr tools, no network) and return stdout, stderr, the exit code, the failure reason, CPU seconds and peak memory. " + Sandbox(f)),
        new("execute_code", nameof(SandrunTools.ExecuteCode), "Run a program with files", false,
            f => $"Run a program in any of these languages: {string.Join(", ", f.Languages)}, optionally with extra files, command-line arguments and its own limits (timeout up to {f.Limits.MaxTimeoutSeconds} s, memory_mb from 16 to {f.Limits.MaxMemoryMb}). Returns what execute_python does. " + Sandbox(f)),
        new("check_job_status", nameof(SandrunTools.CheckJobStatus), "Check a job", true,
            _ => "Status of a job started by an execute_* tool: queued (with queue position), running, completed or failed (with the failure reason: exit_code, signal, timeout, cpu_limit, memory_limit, output_limit, setup_error), and once finished its exit code, CPU seconds, peak memory, wall time, stdout, stderr, output files and signed receipt."),
        new("get_job_logs", nameof(SandrunTools.GetJobLogs), "Get a job's output", true,
            f => $"stdout and stderr of a job so far (also while it runs). Each stream is shown up to {Bytes(f.Mcp.MaxInlineOutputBytes)}; longer output keeps its beginning and end."),
        new("list_outputs", nameof(SandrunTools.ListOutputs), "List a job's output files", true,
            _ => "The files a finished job created or changed in its directory: path, size, MIME type and SHA-256. Read one with read_output."),
        new("read_output", nameof(SandrunTools.ReadOutput), "Read an output file", true,
            f => $"Read one output file of a finished job: text comes back as text, PNG/JPEG/GIF/WebP images as images, anything else as a base64 embedded resource. Files up to {Bytes(f.Mcp.MaxReadOutputBytes)}."),
    ];

    /// <summary>Whether <paramref name="name"/> is one of these tools.</summary>
    public static bool Contains(string name) => Entries.Any(e => e.Name == name);

    /// <summary>Registers every tool as an <see cref="McpServerTool"/> singleton, built when the MCP server starts.</summary>
    public static void Register(IServiceCollection services)
    {
        services.TryAddSingleton(Facts.From);
        foreach (var entry in Entries)
        {
            services.AddSingleton(sp => Create(entry, sp));
        }
    }

    private static McpServerTool Create(Entry entry, IServiceProvider services)
    {
        var method = typeof(SandrunTools).GetMethod(entry.Method, BindingFlags.Public | BindingFlags.Instance)!;
        var tool = McpServerTool.Create(method, services.GetRequiredService<SandrunTools>(), new McpServerToolCreateOptions
        {
            Name = entry.Name,
            Title = entry.Title,
            Description = entry.Describe(services.GetRequiredService<Facts>()),
            ReadOnly = entry.ReadOnly,
            Destructive = false,
            Idempotent = entry.ReadOnly,
            OpenWorld = false,
            Services = services,
            SerializerOptions = ArgumentJson,
        });
        tool.ProtocolTool.InputSchema = PortableSchema.Rewrite(tool.ProtocolTool.InputSchema);
        return tool;
    }

    private static string Sandbox(Facts f)
    {
        var l = f.Limits;
        var quota = f.Rates.Enabled
            ? $" Per-client quota: {f.Rates.MaxActiveJobs} jobs at a time, {f.Rates.MaxJobsPerHour} per hour, {f.Rates.CpuSecondsPerMinute.ToString(CultureInfo.InvariantCulture)} CPU-seconds per minute; over it the call fails with the time to retry."
            : "";
        return "Every call runs in a fresh, empty sandbox with no network and nothing kept between calls; the program's current directory is /workspace. "
            + "Files it writes there come back as outputs (list_outputs, read_output). "
            + $"Limits: {l.DefaultTimeoutSeconds} s wall time, {l.DefaultCpuSeconds} s CPU time, {l.DefaultMemoryMb} MiB memory, {l.MaxPids} processes, "
            + $"{l.WorkspaceMb} MiB of files, {Bytes(l.OutputBytesPerStream)} of output per stream (more stops the job). "
            + $"A call waits up to {f.Mcp.MaxWaitSeconds} s (reporting progress every second when the client asks for it), then returns the job_id for check_job_status.{quota}";
    }

    private static string Bytes(long n) => n switch
    {
        >= 1 << 20 when n % (1 << 20) == 0 => $"{n >> 20} MiB",
        >= 1 << 10 when n % (1 << 10) == 0 => $"{n >> 10} KiB",
        _ => $"{n} bytes",
    };
}
