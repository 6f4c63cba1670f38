using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>
/// The MCP tools driven by the C# MCP client against real sandboxes; run once over Streamable HTTP and once over
/// stdio (<see cref="McpHttpToolTests"/>, <see cref="McpStdioToolTests"/>).
/// </summary>
public abstract class McpToolTests
{
    /// <summary>Rate limits off unless a test turns them on: the suite runs many jobs from one client.</summary>
    protected static readonly Dictionary<string, string> Defaults = new()
    {
        ["Sandrun:RateLimits:Enabled"] = "false",
        ["Sandrun:Workers"] = "2",
    };

    /// <summary>A connected client to a fresh server configured with <paramref name="settings"/> (configuration keys) on top of <see cref="Defaults"/>.</summary>
    protected abstract Task<Connection> ConnectAsync(IReadOnlyDictionary<string, string>? settings = null);

    [Fact]
    public async Task Lists_every_tool_with_a_schema_and_limits_in_the_descriptions()
    {
        await using var c = await ConnectAsync();
        var tools = await c.Client.ListToolsAsync();
        Assert.Equal(
            ["check_job_status", "execute_bash", "execute_code", "execute_javascript", "execute_python", "get_job_logs", "list_outputs", "read_output"],
            tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        var python = tools.Single(t => t.Name == "execute_python");
        Assert.Contains("300 s wall time", python.Description, StringComparison.Ordinal);
        Assert.Contains("512 MiB memory", python.Description, StringComparison.Ordinal);
        Assert.Contains("no network", python.Description, StringComparison.Ordinal);

        var schema = tools.Single(t => t.Name == "execute_code").JsonSchema;
        var properties = schema.GetProperty("properties");
        foreach (var name in new[] { "language", "code", "files", "args", "timeout", "memory_mb", "wait" })
        {
            Assert.True(properties.TryGetProperty(name, out var property), name);
            Assert.False(string.IsNullOrEmpty(property.GetProperty("description").GetString()), name);
        }

        Assert.Equal(["code", "language"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
        Assert.True(tools.Single(t => t.Name == "read_output").ProtocolTool.Annotations?.ReadOnlyHint);
    }

    [Fact]
    public async Task Runs_python_javascript_and_bash_with_real_measurements()
    {
        await using var c = await ConnectAsync();
        var python = await Call(c, "execute_python", new() { ["code"] = "import sys\nprint(6 * 7)\nprint('to stderr', file=sys.stderr)\nx = bytearray(20 * 1024 * 1024)\n" });
        Assert.Equal("completed", python.GetProperty("status").GetString());
        Assert.Equal(0, python.GetProperty("exit_code").GetInt32());
        Assert.Equal("42\n", python.GetProperty("stdout").GetString());
        Assert.Equal("to stderr\n", python.GetProperty("stderr").GetString());
        Assert.Equal(JsonValueKind.Null, python.GetProperty("failure_reason").ValueKind);
        Assert.True(python.GetProperty("cpu_seconds").GetDouble() > 0);
        Assert.True(python.GetProperty("memory_peak_bytes").GetInt64() > 20 << 20, python.ToString());
        Assert.True(python.GetProperty("wall_time_ms").GetInt64() >= 0);

        var js = await Call(c, "execute_javascript", new() { ["code"] = "console.log([1, 2, 3].map(x => x * 2).join(','))" });
        Assert.Equal("completed", js.GetProperty("status").GetString());
        Assert.Equal("2,4,6\n", js.GetProperty("stdout").GetString());
        Assert.Equal("node", js.GetProperty("interpreter").GetString());

        var bash = await Call(c, "execute_bash", new() { ["script"] = "echo \"hello from $(basename \"$PWD\")\"\nexit 3" });
        Assert.Equal("failed", bash.GetProperty("status").GetString());
        Assert.Equal("exit_code", bash.GetProperty("failure_reason").GetString());
        Assert.Equal(3, bash.GetProperty("exit_code").GetInt32());
        Assert.Equal("hello from workspace\n", bash.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Execute_code_with_several_files_and_args_and_outputs_read_back()
    {
        await using var c = await ConnectAsync();
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, (byte)'I', (byte)'H', (byte)'D', (byte)'R'];
        byte[] blob = [0, 1, 2, 0xFF, 0xFE, 0x80, 10, 0];
        var code = """
            import sys
            from lib.stats import mean
            values = [float(line) for line in open('data/values.txt')]
            import os
            os.makedirs('results', exist_ok=True)
            with open('results/summary.txt', 'w') as f:
                f.write(f"{sys.argv[1]}: mean={mean(values)} n={len(values)} é\n")
            with open('results/plot.png', 'wb') as f:
                f.write(bytes(PNG))
            with open('results/blob.bin', 'wb') as f:
                f.write(bytes(BLOB))
            print('done')
            """.Replace("PNG", "[" + string.Join(",", png) + "]", StringComparison.Ordinal).Replace("BLOB", "[" + string.Join(",", blob) + "]", StringComparison.Ordinal);
        var run = await Call(c, "execute_code", new()
        {
            ["language"] = "python",
            ["code"] = code,
            ["files"] = new Dictionary<string, string> { ["lib/__init__.py"] = "", ["lib/stats.py"] = "def mean(xs):\n    return sum(xs) / len(xs)\n", ["data/values.txt"] = "1\n2\n6\n" },
            ["args"] = new[] { "label with spaces" },
            ["timeout"] = 60,
            ["memory_mb"] = 256,
        });
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal("done\n", run.GetProperty("stdout").GetString());
        var outputs = run.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("path").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["results/blob.bin", "results/plot.png", "results/summary.txt"], outputs);
        var jobId = run.GetProperty("job_id").GetString()!;

        var listed = await Call(c, "list_outputs", new() { ["job_id"] = jobId });
        Assert.Equal(3, listed.GetProperty("outputs").GetArrayLength());

        var text = await c.Client.CallToolAsync("read_output", new Dictionary<string, object?> { ["job_id"] = jobId, ["path"] = "results/summary.txt" });
        Assert.NotEqual(true, text.IsError);
        Assert.Equal("label with spaces: mean=3.0 n=3 é\n", Assert.IsType<TextContentBlock>(Assert.Single(text.Content)).Text);

        var image = await c.Client.CallToolAsync("read_output", new Dictionary<string, object?> { ["job_id"] = jobId, ["path"] = "/workspace/results/plot.png" });
        var picture = Assert.Single(image.Content.OfType<ImageContentBlock>());
        Assert.Equal("image/png", picture.MimeType);
        Assert.Equal(png, picture.DecodedData.ToArray());

        var binary = await c.Client.CallToolAsync("read_output", new Dictionary<string, object?> { ["job_id"] = jobId, ["path"] = "./results/blob.bin" });
        var resource = Assert.IsType<BlobResourceContents>(Assert.Single(binary.Content.OfType<EmbeddedResourceBlock>()).Resource);
        Assert.Equal(blob, resource.DecodedData.ToArray());
        Assert.Equal($"sandrun://jobs/{jobId}/outputs/results/blob.bin", resource.Uri);

        var missing = await c.Client.CallToolAsync("read_output", new Dictionary<string, object?> { ["job_id"] = jobId, ["path"] = "data/values.txt" });
        Assert.True(missing.IsError);
        Assert.Contains("results/summary.txt", Text(missing), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timeout_is_reported_as_the_failure_reason()
    {
        await using var c = await ConnectAsync();
        var run = await Call(c, "execute_code", new() { ["language"] = "python3", ["code"] = "import time\nprint('start', flush=True)\ntime.sleep(60)\n", ["timeout"] = 1 });
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal("timeout", run.GetProperty("failure_reason").GetString());
        Assert.Equal("start\n", run.GetProperty("stdout").GetString());
        Assert.InRange(run.GetProperty("wall_time_ms").GetInt64(), 900, 30_000);
    }

    [Fact]
    public async Task A_syntax_error_is_a_failed_run_with_the_interpreter_message()
    {
        await using var c = await ConnectAsync();
        var call = await c.Client.CallToolAsync("execute_python", new Dictionary<string, object?> { ["code"] = "def broken(:\n    pass\n" });
        Assert.NotEqual(true, call.IsError);
        var run = Structured(call);
        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal("exit_code", run.GetProperty("failure_reason").GetString());
        Assert.Equal(1, run.GetProperty("exit_code").GetInt32());
        Assert.Contains("SyntaxError", run.GetProperty("stderr").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quota_refusal_is_a_tool_error_with_the_retry_time()
    {
        await using var c = await ConnectAsync(new Dictionary<string, string>
        {
            ["Sandrun:RateLimits:Enabled"] = "true",
            ["Sandrun:RateLimits:MaxJobsPerHour"] = "1",
        });
        var first = await Call(c, "execute_python", new() { ["code"] = "print('ok')" });
        Assert.Equal("completed", first.GetProperty("status").GetString());

        var second = await c.Client.CallToolAsync("execute_bash", new Dictionary<string, object?> { ["script"] = "echo again" });
        Assert.True(second.IsError);
        var message = Text(second);
        Assert.Contains("quota exceeded", message, StringComparison.Ordinal);
        Assert.Contains("retry after", message, StringComparison.Ordinal);

        // The refusal did not break the session.
        Assert.Contains("execute_code", (await c.Client.ListToolsAsync()).Select(t => t.Name));
    }

    [Fact]
    public async Task Limits_beyond_the_maximum_are_clamped_and_impossible_ones_refused()
    {
        await using var c = await ConnectAsync(new Dictionary<string, string>
        {
            ["Sandrun:Limits:DefaultTimeoutSeconds"] = "10", ["Sandrun:Limits:MaxTimeoutSeconds"] = "20", ["Sandrun:Limits:DefaultMemoryMb"] = "256", ["Sandrun:Limits:MaxMemoryMb"] = "300",
        });
        var clamped = await Call(c, "execute_code", new() { ["language"] = "sh", ["code"] = "echo fine", ["timeout"] = 100_000, ["memory_mb"] = 1_000_000 });
        Assert.Equal("completed", clamped.GetProperty("status").GetString());
        var notes = clamped.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).ToList();
        Assert.Contains(notes, n => n.Contains("clamped to 20 seconds", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.Contains("clamped to 300 MiB", StringComparison.Ordinal));

        foreach (var (arguments, expected) in new (Dictionary<string, object?>, string)[]
        {
            (new() { ["language"] = "python", ["code"] = "print(1)", ["memory_mb"] = 4 }, "memory_mb must be at least 16"),
            (new() { ["language"] = "python", ["code"] = "print(1)", ["timeout"] = 0 }, "timeout must be at least 1"),
            (new() { ["language"] = "cobol", ["code"] = "x" }, "available: python, javascript"),
            (new() { ["language"] = "python", ["code"] = "x", ["files"] = new Dictionary<string, string> { ["../escape.txt"] = "x" } }, "escape.txt"),
            (new() { ["language"] = "python", ["code"] = "x", ["files"] = new Dictionary<string, string> { ["main.py"] = "x" } }, "must not contain 'main.py'"),
        })
        {
            var refused = await c.Client.CallToolAsync("execute_code", arguments);
            Assert.True(refused.IsError, expected);
            Assert.Contains(expected, Text(refused), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Malformed_arguments_are_tool_errors_that_name_the_argument()
    {
        await using var c = await ConnectAsync();
        foreach (var (tool, arguments, expected) in new (string, Dictionary<string, object?>, string)[]
        {
            ("execute_code", new() { ["language"] = "python", ["code"] = 123 }, "execute_code: 'code' must be a string, not the number 123"),
            ("execute_code", new() { ["language"] = "python" }, "execute_code: missing required argument 'code'"),
            ("execute_code", new() { ["language"] = "python", ["code"] = "x", ["files"] = new Dictionary<string, object> { ["a.txt"] = 5 } }, "'files[\"a.txt\"]' must be a string, not the number 5"),
            ("execute_code", new() { ["language"] = "python", ["code"] = "x", ["timeout"] = 99_999_999_999L }, "'timeout' must be a whole number (32-bit)"),
            ("execute_code", new() { ["language"] = "python", ["code"] = "x", ["args"] = "--verbose" }, "'args' must be an array, not a string"),
            ("execute_python", new() { ["code"] = "x", ["timeout_seconds"] = 5 }, "execute_python: unknown argument 'timeout_seconds'; it takes code, stdin, wait"),
            ("read_output", new() { ["job_id"] = 1, ["path"] = "x" }, "read_output: 'job_id' must be a string, not the number 1"),
        })
        {
            var result = await c.Client.CallToolAsync(tool, arguments);
            Assert.True(result.IsError, expected);
            Assert.Contains(expected, Text(result), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_waiting_the_job_is_polled_to_completion()
    {
        await using var c = await ConnectAsync();
        var started = await Call(c, "execute_bash", new() { ["script"] = "sleep 1; echo late; echo out > result.txt", ["wait"] = false });
        Assert.Contains(started.GetProperty("status").GetString(), new[] { "queued", "running" });
        var jobId = started.GetProperty("job_id").GetString()!;
        Assert.Contains(started.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("check_job_status", StringComparison.Ordinal));

        var status = await PollUntilFinishedAsync(c, jobId);
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal("late\n", status.GetProperty("stdout").GetString());
        Assert.Matches("^[0-9a-f]{64}$", status.GetProperty("job_hash").GetString());
        var logs = await Call(c, "get_job_logs", new() { ["job_id"] = jobId });
        Assert.Equal("late\n", logs.GetProperty("stdout").GetString());
        var outputs = await Call(c, "list_outputs", new() { ["job_id"] = jobId });
        Assert.Equal("result.txt", Assert.Single(outputs.GetProperty("outputs").EnumerateArray()).GetProperty("path").GetString());

        var unknown = await c.Client.CallToolAsync("check_job_status", new Dictionary<string, object?> { ["job_id"] = "job-doesnotexist" });
        Assert.True(unknown.IsError);
        Assert.Contains("job not found", Text(unknown), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Waiting_reports_progress_and_stops_at_the_longest_wait_while_the_job_goes_on()
    {
        await using var c = await ConnectAsync(new Dictionary<string, string> { ["Sandrun:Mcp:MaxWaitSeconds"] = "3" });
        var reports = new ConcurrentQueue<ProgressNotificationValue>();
        var result = await c.Client.CallToolAsync("execute_bash", new Dictionary<string, object?> { ["script"] = "sleep 5; echo done" }, new Reports(reports));
        var run = Structured(result);
        Assert.Equal("running", run.GetProperty("status").GetString());
        Assert.Contains(run.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("stopped waiting after 3 s", StringComparison.Ordinal));
        var jobId = run.GetProperty("job_id").GetString()!;

        Assert.NotEmpty(reports);
        Assert.All(reports, r => Assert.StartsWith(jobId + " running", r.Message, StringComparison.Ordinal));
        var values = reports.Select(r => r.Progress).ToList();
        Assert.Equal(values.Order(), values);

        var status = await PollUntilFinishedAsync(c, jobId);
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal("done\n", status.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Long_output_is_shown_by_its_beginning_and_end()
    {
        await using var c = await ConnectAsync(new Dictionary<string, string> { ["Sandrun:Mcp:MaxInlineOutputBytes"] = "1000" });
        var run = await Call(c, "execute_python", new() { ["code"] = "print('FIRST')\nfor i in range(5000): print('line', i)\nprint('LAST')" });
        var stdout = run.GetProperty("stdout").GetString()!;
        Assert.StartsWith("FIRST\n", stdout, StringComparison.Ordinal);
        Assert.EndsWith("LAST\n", stdout, StringComparison.Ordinal);
        Assert.Contains("bytes left out", stdout, StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(stdout) < 1200);
        Assert.Contains(run.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("stdout is ", StringComparison.Ordinal));
    }

    /// <summary>check_job_status until the job has finished (or a minute has passed).</summary>
    protected static async Task<JsonElement> PollUntilFinishedAsync(Connection c, string jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement status;
        do
        {
            await Task.Delay(100);
            status = await Call(c, "check_job_status", new() { ["job_id"] = jobId });
        }
        while (status.GetProperty("status").GetString() is "queued" or "running" && DateTime.UtcNow < deadline);

        return status;
    }

    protected static async Task<JsonElement> Call(Connection c, string tool, Dictionary<string, object?> arguments)
    {
        var result = await c.Client.CallToolAsync(tool, arguments);
        Assert.True(result.IsError != true, Text(result));
        return Structured(result);
    }

    protected static JsonElement Structured(CallToolResult result)
    {
        Assert.NotNull(result.StructuredContent);
        var element = JsonSerializer.SerializeToElement(result.StructuredContent);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(element.GetRawText()), JsonNode.Parse(Text(result))), "text and structured content differ");
        return element;
    }

    protected static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text));

    /// <summary>Records progress notifications as they arrive (<see cref="Progress{T}"/> would post them to a thread pool later).</summary>
    private sealed class Reports(ConcurrentQueue<ProgressNotificationValue> queue) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => queue.Enqueue(value);
    }

    /// <summary>A client and whatever it runs against; disposing ends both.</summary>
    protected sealed class Connection(McpClient client, Func<ValueTask> dispose) : IAsyncDisposable
    {
        public McpClient Client { get; } = client;

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await dispose();
        }
    }
}
