using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests.Piston;

/// <summary>
/// The Piston v2 shim (SPEC.md §9): the npm <c>piston-client</c> package (pinned in <c>Piston/client</c>), unchanged,
/// against the real server, plus raw requests in Piston's documented shapes.
/// </summary>
public sealed class PistonTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-piston");

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task The_npm_piston_client_works_unchanged()
    {
        var directory = await NodeTools.InstallAsync(NodeTools.PistonFolder, "piston-client/index.js");
        var run = await NodeTools.RunAsync(await NodeTools.NodeAsync(), ["drive.mjs", server.BaseAddress.ToString()], directory, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        using var document = JsonDocument.Parse(run.Stdout);
        var result = document.RootElement;

        var runtimes = result.GetProperty("runtimes").EnumerateArray().ToList();
        var python = runtimes.Single(r => r.GetProperty("language").GetString() == "python");
        Assert.Matches(@"^\d+\.\d+\.\d+$", python.GetProperty("version").GetString());
        Assert.Contains("py", python.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains(runtimes, r => r.GetProperty("language").GetString() == "javascript");

        var py = result.GetProperty("python");
        Assert.Equal("python", py.GetProperty("language").GetString());
        Assert.Equal(python.GetProperty("version").GetString(), py.GetProperty("version").GetString());
        Assert.Equal("HELLO PISTON ['a', 'b c']\n", py.GetProperty("run").GetProperty("stdout").GetString());
        Assert.Equal("HELLO PISTON ['a', 'b c']\n", py.GetProperty("run").GetProperty("output").GetString());
        Assert.Equal(0, py.GetProperty("run").GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, py.GetProperty("run").GetProperty("signal").ValueKind);

        Assert.Equal("1+2\n", result.GetProperty("javascript").GetProperty("run").GetProperty("stdout").GetString());

        // The client's own defaults: args ["1", "2", "3"], run_timeout 3000 ms, memory -1.
        var defaults = result.GetProperty("defaults").GetProperty("run");
        Assert.Equal("1 2 3\n", defaults.GetProperty("stdout").GetString());
        Assert.Equal(3, defaults.GetProperty("code").GetInt32());
        Assert.Equal("RE", defaults.GetProperty("status").GetString());

        Assert.Equal("cobol-1.0.0 runtime is unknown", result.GetProperty("unknown").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Raw_requests_in_pistons_documented_shapes()
    {
        // As Piston's README: files with names, stdin, args, timeouts in ms, memory in bytes.
        var request = """
            {"language": "py", "version": "3.x", "files": [{"name": "my_cool_code.py", "content": "import sys\nprint(sys.stdin.read(), sys.argv[1:])"}],
             "stdin": "in", "args": ["1", "2", "3"], "compile_timeout": 10000, "run_timeout": 3000, "compile_memory_limit": -1, "run_memory_limit": -1}
            """;
        using var response = await server.Client.PostAsync("/api/v2/execute", new StringContent(request, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        Assert.Equal("python", body.GetProperty("language").GetString());
        Assert.Equal("in ['1', '2', '3']\n", body.GetProperty("run").GetProperty("stdout").GetString());

        // A program that runs out of time: Piston's status TO and the signal's name.
        using var slow = await server.Client.PostAsync("/api/v2/execute", new StringContent(
            """{"language": "python", "version": "*", "files": [{"content": "import time\ntime.sleep(30)"}], "run_timeout": 1000}""", Encoding.UTF8, "application/json"));
        var timedOut = (await slow.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run");
        Assert.Equal("TO", timedOut.GetProperty("status").GetString());
        Assert.Equal("SIGKILL", timedOut.GetProperty("signal").GetString());
        Assert.Equal(JsonValueKind.Null, timedOut.GetProperty("code").ValueKind);

        using var runtimes = await server.Client.GetAsync("/api/v2/runtimes");
        var list = await runtimes.Content.ReadFromJsonAsync<JsonElement>();
        Assert.All(list.EnumerateArray(), r =>
        {
            Assert.Equal(JsonValueKind.String, r.GetProperty("language").ValueKind);
            Assert.Equal(JsonValueKind.String, r.GetProperty("version").ValueKind);
            Assert.Equal(JsonValueKind.Array, r.GetProperty("aliases").ValueKind);
        });
    }

    [Theory]
    [InlineData("""{"version": "*", "files": [{"content": "x"}]}""", "language is required as a string")]
    [InlineData("""{"language": "python", "files": [{"content": "x"}]}""", "version is required as a string")]
    [InlineData("""{"language": "python", "version": "*"}""", "files is required as an array")]
    [InlineData("""{"language": "python", "version": "*", "files": [{"name": "a.py"}]}""", "files[0].content is required as a string")]
    [InlineData("""{"language": "python", "version": "2.7.18", "files": [{"content": "x"}]}""", "python-2.7.18 runtime is unknown")]
    [InlineData("""{"language": "python", "version": "*", "files": [{"content": "x"}], "run_timeout": 99999999}""", "run_timeout cannot exceed the configured limit of")]
    [InlineData("""{"language": "python", "version": "*", "files": [{"content": "x"}], "args": [1]}""", "args is required as an array of strings")]
    [InlineData("""{"language": "python", "version": "*", "files": [{"name": "", "content": "x"}]}""", "files[0].name must be a relative path")]
    [InlineData("""not json""", "is not valid JSON")]
    public async Task Errors_have_pistons_shape(string request, string message)
    {
        using var response = await server.Client.PostAsync("/api/v2/execute", new StringContent(request, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(message, body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
