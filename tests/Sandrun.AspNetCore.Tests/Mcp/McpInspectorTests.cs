using System.Text.Json;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>
/// The official MCP Inspector CLI (<c>@modelcontextprotocol/inspector</c>, pinned with Node 22 in
/// <c>Mcp/conformance/package.json</c>) against the sample server over Streamable HTTP and over stdio, as a user would run it:
/// <c>tools/list</c> shows every tool with no schema portability warning under <c>--strict</c>, and <c>tools/call</c>
/// of each execute tool returns the program's output.
/// </summary>
public sealed class McpInspectorTests
{
    private static readonly string[] Tools =
        ["execute_python", "execute_javascript", "execute_bash", "execute_code", "check_job_status", "get_job_logs", "list_outputs", "read_output"];

    public static TheoryData<string, string[], string> Calls => new()
    {
        { "execute_python", ["code=import sys; print(6*7, sys.stdin.read())", "stdin=from stdin"], "42 from stdin\n" },
        { "execute_javascript", ["code=console.log(6*7)"], "42\n" },
        { "execute_bash", ["script=echo $((6*7)); cat", "stdin=piped"], "42\npiped" },
        { "execute_code", ["language=perl", "code=print join(',', @ARGV), ' ', <STDIN>", "args=[\"a\",\"b c\"]", "stdin=in"], "a,b c in" },
        { "execute_code", ["language=python", "code=print(open('d.txt').read())", "files={\"d.txt\": \"data\"}"], "data\n" },
    };

    [Fact]
    public async Task Http_lists_every_tool_without_portability_warnings()
    {
        await using var server = await StartAsync();
        var run = await InspectorAsync([Url(server), "--transport", "http", "--method", "tools/list", "--strict"]);
        AssertTools(run);
    }

    [Fact]
    public async Task Stdio_lists_every_tool_without_portability_warnings()
    {
        var run = await InspectorAsync(["--method", "tools/list", "--strict", "--", .. StdioServer()]);
        AssertTools(run);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Http_tool_calls_return_the_output(string tool, string[] arguments, string stdout)
    {
        await using var server = await StartAsync();
        var run = await InspectorAsync([Url(server), "--transport", "http", "--method", "tools/call", "--tool-name", tool, "--tool-arg", .. arguments]);
        AssertOutput(run, stdout);
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Stdio_tool_calls_return_the_output(string tool, string[] arguments, string stdout)
    {
        var run = await InspectorAsync(["--method", "tools/call", "--tool-name", tool, "--tool-arg", .. arguments, "--", .. StdioServer()]);
        AssertOutput(run, stdout);
    }

    private static void AssertTools((int ExitCode, string Stdout, string Stderr) run)
    {
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.DoesNotContain("Warning", run.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("portability", run.Stdout + run.Stderr, StringComparison.OrdinalIgnoreCase);
        using var list = JsonDocument.Parse(run.Stdout);
        Assert.Equal(Tools, list.RootElement.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()!));
    }

    private static void AssertOutput((int ExitCode, string Stdout, string Stderr) run, string stdout)
    {
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        using var result = JsonDocument.Parse(run.Stdout);
        Assert.False(result.RootElement.TryGetProperty("isError", out var isError) && isError.GetBoolean(), run.Stdout);
        var report = result.RootElement.GetProperty("structuredContent");
        Assert.Equal("completed", report.GetProperty("status").GetString());
        Assert.Equal(stdout, report.GetProperty("stdout").GetString());
    }

    /// <summary>The sample server's app, whose JSON 404 fallback once answered the Inspector's GET /mcp.</summary>
    private static Task<SampleServerApp> StartAsync() => SampleServerApp.StartAsync("/run/sandrun-http-mcp-inspector");

    private static string Url(SampleServerApp server) => new Uri(server.BaseAddress, "/mcp").ToString();

    private static string[] StdioServer() => ["dotnet", "exec", Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll"), "mcp", "--Sandrun:RateLimits:Enabled", "false"];

    private static async Task<(int ExitCode, string Stdout, string Stderr)> InspectorAsync(string[] arguments)
    {
        var directory = await NodeTools.InstallAsync(NodeTools.McpFolder, "@modelcontextprotocol/inspector/clients/launcher/build/index.js");
        var cli = Path.Combine(directory, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build", "index.js");
        return await NodeTools.RunAsync(await NodeTools.NodeAsync(), [cli, "--cli", .. arguments], directory, TimeSpan.FromMinutes(2));
    }
}
