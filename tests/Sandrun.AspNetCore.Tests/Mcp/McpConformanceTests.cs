using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>
/// The public MCP conformance suite (<c>@modelcontextprotocol/conformance</c>, pinned with the Node 22 it needs in
/// <c>Mcp/conformance/package.json</c>) against the real <c>/mcp</c> endpoint. Only the server scenarios that apply to
/// a tools-only, stateless server run; the others (fixture tools of the reference server, prompts, resources,
/// completions, elicitation, sampling, session-bound SSE) are listed with the reason in <see cref="NotApplicable"/>.
/// </summary>
public sealed partial class McpConformanceTests
{
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The server scenarios that apply: every check of each must be SUCCESS.</summary>
    public static readonly IReadOnlyList<string> Applicable =
        ["server-initialize", "ping", "tools-list", "logging-set-level", "dns-rebinding-protection"];

    public static TheoryData<string> Scenarios => new(Applicable);

    /// <summary>Server scenarios of the suite (0.1.16) that do not apply to Sandrun, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotApplicable = new Dictionary<string, string>
    {
        ["completion-complete"] = "no completions capability (no prompts or resource templates to complete)",
        ["tools-call-simple-text"] = "calls the reference server's fixture tool test_simple_text",
        ["tools-call-image"] = "calls the reference server's fixture tool test_image_content",
        ["tools-call-audio"] = "calls the reference server's fixture tool test_audio_content",
        ["tools-call-embedded-resource"] = "calls the reference server's fixture tool test_embedded_resource",
        ["tools-call-mixed-content"] = "calls the reference server's fixture tool test_multiple_content_types",
        ["tools-call-with-logging"] = "calls the reference server's fixture tool test_tool_with_logging",
        ["tools-call-error"] = "calls the reference server's fixture tool test_error_handling",
        ["tools-call-with-progress"] = "calls the reference server's fixture tool test_tool_with_progress",
        ["tools-call-sampling"] = "fixture tool test_sampling; Sandrun never asks the client to sample",
        ["tools-call-elicitation"] = "fixture tool test_elicitation; Sandrun never elicits",
        ["json-schema-2020-12"] = "looks for the fixture tool json_schema_2020_12_tool",
        ["elicitation-sep1034-defaults"] = "fixture tool test_elicitation_sep1034_defaults; Sandrun never elicits",
        ["elicitation-sep1330-enums"] = "fixture tool test_elicitation_sep1330_enums; Sandrun never elicits",
        ["server-sse-polling"] = "needs a session and the fixture tool test_reconnection; the endpoint is stateless",
        ["server-sse-multiple-streams"] = "needs an Mcp-Session-Id; the stateless endpoint issues none, so it only reports a WARNING",
        ["resources-list"] = "no resources",
        ["resources-read-text"] = "no resources",
        ["resources-read-binary"] = "no resources",
        ["resources-templates-read"] = "no resources",
        ["resources-subscribe"] = "no resources",
        ["resources-unsubscribe"] = "no resources",
        ["prompts-list"] = "no prompts",
        ["prompts-get-simple"] = "no prompts",
        ["prompts-get-with-args"] = "no prompts",
        ["prompts-get-embedded-resource"] = "no prompts",
        ["prompts-get-with-image"] = "no prompts",
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario_passes(string scenario)
    {
        var suite = await ConformanceSuite.InstallAsync();
        await using var server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-mcp-conformance", services: s => s.AddSandrunMcp());
        var output = Directory.CreateTempSubdirectory("sandrun-mcp-conformance-");
        try
        {
            var url = new Uri(server.BaseAddress, "/mcp").ToString();
            var run = await ConformanceSuite.RunAsync(suite.Node,
                [suite.Cli, "server", "--url", url, "--scenario", scenario, "--output-dir", output.FullName], suite.Directory, ScenarioTimeout);
            var transcript = Ansi().Replace($"exit code {run.ExitCode}\nstdout:\n{run.Stdout}\nstderr:\n{run.Stderr}", "");
            var results = Directory.GetFiles(output.FullName, "checks.json", SearchOption.AllDirectories);
            Assert.True(results.Length == 1, $"expected one checks.json, found {results.Length}; {transcript}");

            using var checks = JsonDocument.Parse(await File.ReadAllTextAsync(results[0]));
            var all = checks.RootElement.EnumerateArray().ToList();
            var failing = all.Where(c => c.GetProperty("status").GetString() != "SUCCESS")
                .Select(c => $"{c.GetProperty("id").GetString()}: {c.GetProperty("status").GetString()}"
                    + (c.TryGetProperty("errorMessage", out var m) ? $" ({m.GetString()})" : "")
                    + (c.TryGetProperty("details", out var d) ? $" details {d.GetRawText()}" : ""))
                .ToList();
            Assert.True(all.Count > 0, $"no checks; {transcript}");
            Assert.True(failing.Count == 0, $"{scenario}: {failing.Count} of {all.Count} checks not SUCCESS:\n{string.Join('\n', failing)}\n{transcript}");
            Assert.True(run.ExitCode == 0, transcript);
        }
        finally
        {
            output.Delete(true);
        }
    }

    [Fact]
    public async Task Every_server_scenario_of_the_pinned_suite_is_run_or_excused()
    {
        var suite = await ConformanceSuite.InstallAsync();
        var list = await ConformanceSuite.RunAsync(suite.Node, [suite.Cli, "list"], suite.Directory, ScenarioTimeout);
        Assert.True(list.ExitCode == 0, list.Stderr);
        var server = list.Stdout.Split("Client scenarios")[0].Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("- ", StringComparison.Ordinal))
            .Select(l => l[2..].Split(' ')[0])
            .ToHashSet();
        var run = Applicable.ToHashSet();
        Assert.NotEmpty(server);
        Assert.Empty(run.Intersect(NotApplicable.Keys));
        Assert.Empty(server.Except(run).Except(NotApplicable.Keys));
        Assert.Empty(run.Union(NotApplicable.Keys).Except(server));
    }

    /// <summary>The CLI colours its report whatever NO_COLOR says.</summary>
    [GeneratedRegex("\x1B\\[[0-9;]*m")]
    private static partial Regex Ansi();

    /// <summary>The pinned suite: Node 22 and the conformance CLI.</summary>
    private static class ConformanceSuite
    {
        public static async Task<(string Directory, string Node, string Cli)> InstallAsync()
        {
            var directory = await NodeTools.InstallAsync(NodeTools.McpFolder, "@modelcontextprotocol/conformance/dist/index.js");
            return (directory, await NodeTools.NodeAsync(), Path.Combine(directory, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js"));
        }

        public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments, string directory, TimeSpan timeout) =>
            NodeTools.RunAsync(file, arguments, directory, timeout);
    }
}
