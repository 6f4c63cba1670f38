using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandrun.AspNetCore.Tests.Execution;

/// <summary>POST /execute (SPEC.md §9) over real HTTP against the real sandbox: one call in, the result out.</summary>
public sealed class ExecuteTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-execute");

    public async Task DisposeAsync() => await server.DisposeAsync();

    public static TheoryData<string, string, string> Snippets => new()
    {
        { "python", "import sys\nprint(6*7)\nprint('e', file=sys.stderr)\n", "42\n" },
        { "js", "console.log(6*7); console.error('e');", "42\n" },
        { "bash", "echo $((6*7)); echo e >&2", "42\n" },
        { "sh", "echo 42; echo e >&2", "42\n" },
        { "rb", "puts 6*7; $stderr.puts 'e'", "42\n" },
        { "perl", "print 6*7, \"\\n\"; print STDERR \"e\\n\";", "42\n" },
        { "r", "cat(6*7, '\\n', sep=''); message('e')", "42\n" },
    };

    [Theory]
    [MemberData(nameof(Snippets))]
    public async Task A_snippet_runs_in_one_call(string language, string code, string stdout)
    {
        var (status, result) = await ExecuteAsync(new JsonObject { ["language"] = language, ["code"] = code });
        Assert.True(status == HttpStatusCode.OK, result.ToJsonString());
        Assert.Equal("completed", (string?)result["status"]);
        Assert.Equal(0, (int?)result["exit_code"]);
        Assert.Null(result["failure_reason"]);
        Assert.Equal(stdout, (string?)result["stdout"]);
        Assert.Equal("e\n", (string?)result["stderr"]);
        Assert.True((double?)result["cpu_seconds"] > 0);
        Assert.True((long?)result["memory_peak_bytes"] > 0);
        Assert.Matches("^[0-9a-f]{64}$", (string?)result["job_hash"]);
        Assert.Matches(@"^\d+\.\d+", (string?)result["version"]);

        // The job is an ordinary job: /status knows it, with the same hash.
        var job = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{(string?)result["job_id"]}");
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal((string?)result["job_hash"], job.GetProperty("job_hash").GetString());
    }

    [Fact]
    public async Task Files_with_base64_content_args_env_stdin_and_outputs()
    {
        var helper = Convert.ToBase64String(Encoding.UTF8.GetBytes("def shout(s):\n    return s.upper()\n"));
        var (status, result) = await ExecuteAsync(new JsonObject
        {
            ["language"] = "python",
            ["version"] = "3",
            ["files"] = new JsonArray(
                new JsonObject { ["name"] = "app.py", ["content"] = "import os, sys\nfrom lib.util import shout\nprint(shout(sys.stdin.read()), sys.argv[1:], os.environ['GREETING'])\nopen('result.txt', 'w').write('done')\n" },
                new JsonObject { ["name"] = "lib/util.py", ["content"] = helper, ["encoding"] = "base64" },
                new JsonObject { ["name"] = "lib/__init__.py", ["content"] = "" }),
            ["entrypoint"] = "app.py",
            ["args"] = new JsonArray("one", "two words"),
            ["env"] = new JsonObject { ["GREETING"] = "hi" },
            ["stdin"] = "from stdin",
        });
        Assert.True(status == HttpStatusCode.OK, result.ToJsonString());
        Assert.Equal("FROM STDIN ['one', 'two words'] hi\n", (string?)result["stdout"]);
        var output = Assert.Single(result["outputs"]!.AsArray());
        Assert.Equal("result.txt", (string?)output!["path"]);
        Assert.Equal("done", await server.Client.GetStringAsync((string?)output["download_url"]));
    }

    [Fact]
    public async Task The_first_file_runs_when_no_entrypoint_is_named()
    {
        var (status, result) = await ExecuteAsync(new JsonObject
        {
            ["language"] = "javascript",
            ["files"] = new JsonArray(new JsonObject { ["content"] = "console.log(require('./two.js'))" }, new JsonObject { ["name"] = "two.js", ["content"] = "module.exports = 2" }),
        });
        Assert.True(status == HttpStatusCode.OK, result.ToJsonString());
        Assert.Equal("2\n", (string?)result["stdout"]);
    }

    [Fact]
    public async Task Stdin_is_given_to_the_program_and_echoed_back()
    {
        var input = string.Join('\n', Enumerable.Range(0, 5000).Select(i => $"line {i} ✓")) + "\n";
        var (status, result) = await ExecuteAsync(new JsonObject { ["language"] = "bash", ["code"] = "cat", ["stdin"] = input });
        Assert.True(status == HttpStatusCode.OK, result.ToJsonString());
        Assert.Equal(input, (string?)result["stdout"]);
    }

    [Fact]
    public async Task A_wall_timeout_ends_the_job_as_timeout()
    {
        var (status, result) = await ExecuteAsync(new JsonObject { ["language"] = "python", ["code"] = "import time\ntime.sleep(60)\n", ["timeout"] = 1 });
        Assert.True(status == HttpStatusCode.OK, result.ToJsonString());
        Assert.Equal("failed", (string?)result["status"]);
        Assert.Equal("timeout", (string?)result["failure_reason"]);
    }

    [Fact]
    public async Task Memory_over_the_limit_ends_the_job_as_memory_limit()
    {
        var (status, result) = await ExecuteAsync(new JsonObject
        {
            ["language"] = "python",
            ["code"] = "chunks = []\nwhile True:\n    chunks.append(bytearray(8 << 20))\n",
            ["memory_mb"] = 64,
        });
        Assert.True(status == HttpStatusCode.OK, result.ToJsonString());
        Assert.Equal("failed", (string?)result["status"]);
        Assert.Equal("memory_limit", (string?)result["failure_reason"]);
    }

    [Fact]
    public async Task A_wait_shorter_than_the_job_answers_202_and_the_job_completes()
    {
        var (status, result) = await ExecuteAsync(new JsonObject { ["language"] = "python", ["code"] = "import time\ntime.sleep(2)\nprint('late')\n", ["wait"] = 0.2 });
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Contains((string?)result["status"], new[] { "queued", "running" });
        Assert.Null(result["exit_code"]);
        var id = (string)result["job_id"]!;
        var final = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("completed", final.GetProperty("status").GetString());
        Assert.Equal("late\n", await server.Client.GetStringAsync($"/logs/{id}?format=text"));
    }

    [Theory]
    [InlineData("{\"language\": \"python\", \"code\": ", 400, "body")]
    [InlineData("[1, 2]", 400, "body")]
    [InlineData("{\"language\": \"cobol\", \"code\": \"x\"}", 400, "language: 'cobol' is unknown; available: python")]
    [InlineData("{\"code\": \"x\"}", 400, "language: is required")]
    [InlineData("{\"language\": \"python\"}", 400, "code: is required")]
    [InlineData("{\"language\": \"python\", \"code\": \"x\", \"files\": [{\"content\": \"y\"}]}", 400, "code: give either code or files")]
    [InlineData("{\"language\": \"python\", \"code\": \"x\", \"colour\": 1}", 400, "colour: unknown field")]
    [InlineData("{\"language\": \"python\", \"code\": 5}", 400, "code: must be a string")]
    [InlineData("{\"language\": \"python\", \"version\": \"2.7\", \"code\": \"x\"}", 400, "version: python 2.7 is not available")]
    [InlineData("{\"language\": \"python\", \"files\": [{\"content\": \"***\", \"encoding\": \"base64\"}]}", 400, "files[0].content: is not valid base64")]
    [InlineData("{\"language\": \"python\", \"files\": [{\"content\": \"x\", \"encoding\": \"rot13\"}]}", 400, "files[0].encoding")]
    [InlineData("{\"language\": \"python\", \"files\": [{\"name\": \"../x.py\", \"content\": \"x\"}]}", 400, "..")]
    [InlineData("{\"language\": \"python\", \"files\": [{\"name\": \"\", \"content\": \"x\"}]}", 400, "files[0].name: must be a relative path")]
    [InlineData("{\"language\": \"python\", \"code\": \"x\", \"entrypoint\": \"\"}", 400, "entrypoint: must be a relative path")]
    [InlineData("{\"language\": \"python\", \"code\": \"x\", \"timeout\": \"soon\"}", 400, "timeout")]
    [InlineData("{\"language\": \"python\", \"code\": \"x\", \"env\": {\"PATH\": \"/tmp\"}}", 400, "env.PATH")]
    [InlineData("{\"language\": \"python\", \"code\": \"x\", \"stdin\": 7}", 400, "stdin")]
    [InlineData("{\"language\": \"python\", \"code\": \"x\", \"wait\": -1}", 400, "wait: must be a number of seconds")]
    public async Task Bad_requests_are_refused_naming_the_field(string body, int expected, string details)
    {
        using var response = await server.Client.PostAsync("/execute", new StringContent(body, Encoding.UTF8, "application/json"));
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True((int)response.StatusCode == expected, error.ToString());
        Assert.Contains(details, error.GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversize_files_and_stdin_are_refused_naming_the_field()
    {
        await using var small = await TestServer.StartAsync(o => o.Limits.MaxUploadBytes = 64 * 1024, stateDirectory: "/run/sandrun-http-execute-small");
        var big = new string('x', 100 * 1024);
        using (var response = await small.Client.PostAsJsonAsync("/execute", new JsonObject { ["language"] = "python", ["files"] = new JsonArray(new JsonObject { ["content"] = big }) }))
        {
            var error = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.StartsWith("files[0].content", error.GetProperty("details").GetString(), StringComparison.Ordinal);
        }

        using (var response = await small.Client.PostAsJsonAsync("/execute", new JsonObject { ["language"] = "python", ["code"] = "x", ["stdin"] = new string('y', (1 << 20) + 1) }))
        {
            var error = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("stdin", error.GetProperty("details").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Execute_counts_against_the_same_quota_as_submit()
    {
        await using var limited = await TestServer.StartAsync(
            o =>
            {
                o.RateLimits.Enabled = true;
                o.RateLimits.MaxJobsPerHour = 1;
            },
            stateDirectory: "/run/sandrun-http-execute-quota");
        using (var first = await limited.Client.PostAsJsonAsync("/execute", new JsonObject { ["language"] = "python", ["code"] = "print(1)" }))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var second = await limited.SubmitAsync(new Dictionary<string, string> { ["main.py"] = "print(2)" }, null);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        using var third = await limited.Client.PostAsJsonAsync("/execute", new JsonObject { ["language"] = "python", ["code"] = "print(3)" });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.True(third.Headers.RetryAfter is not null);
    }

    private async Task<(HttpStatusCode Status, JsonObject Result)> ExecuteAsync(JsonObject request)
    {
        using var response = await server.Client.PostAsJsonAsync("/execute", request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException(text));
    }
}
