using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests.Execution;

/// <summary>
/// What the original server's clients read (SPEC.md §2): <c>/logs</c> as JSON by default and text when asked,
/// <c>/outputs</c> with <c>total_files</c>/<c>files[].name</c> beside <c>outputs</c>, download by that name; manifest
/// <c>stdin</c> through <c>/submit</c>; <c>/runtimes</c> with versions and aliases.
/// </summary>
public sealed class OriginalClientShapeTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-original-shapes");

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Logs_are_json_by_default_and_text_when_asked()
    {
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import sys\nprint('out', flush=True)\nprint('err', file=sys.stderr, flush=True)\nprint('out2')\n" }, null);
        await server.WaitForStatusAsync(id, "completed", "failed");

        using (var plain = await server.Client.GetAsync($"/logs/{id}"))
        {
            Assert.Equal("application/json", plain.Content.Headers.ContentType?.MediaType);
            var logs = await plain.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("out\nout2\n", logs.GetProperty("stdout").GetString());
            Assert.Equal("err\n", logs.GetProperty("stderr").GetString());
            Assert.False(logs.GetProperty("truncated").GetBoolean());
        }

        // Interleaved in arrival order: two pipes, so only each stream's own order is certain.
        AssertInterleaved(await server.Client.GetStringAsync($"/logs/{id}?format=text"));
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/logs/{id}"))
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
            using var text = await server.Client.SendAsync(request);
            Assert.Equal("text/plain", text.Content.Headers.ContentType?.MediaType);
            AssertInterleaved(await text.Content.ReadAsStringAsync());
        }

        // A browser's Accept (text/html, */*) is not a request for text/plain.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/logs/{id}"))
        {
            request.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
            using var browser = await server.Client.SendAsync(request);
            Assert.Equal("application/json", browser.Content.Headers.ContentType?.MediaType);
        }

        using var bad = await server.Client.GetAsync($"/logs/{id}?format=xml");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("format", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    private static void AssertInterleaved(string text)
    {
        var lines = text.Split('\n');
        Assert.Equal(["", "err", "out", "out2"], lines.Order(StringComparer.Ordinal));
        Assert.True(Array.IndexOf(lines, "out") < Array.IndexOf(lines, "out2"), text);
    }

    [Fact]
    public async Task Outputs_carry_the_original_files_list_and_download_by_name()
    {
        var id = await server.SubmitOkAsync(
            new Dictionary<string, string> { ["main.py"] = "import os\nos.makedirs('out', exist_ok=True)\nopen('out/r.json','w').write('{\"ok\": 1}')\nopen('big.bin','wb').write(b'x' * 3000)\n" },
            """{"entrypoint": "main.py", "outputs": ["out/", "*.bin"]}""");
        await server.WaitForStatusAsync(id, "completed", "failed");
        var listing = await server.Client.GetFromJsonAsync<JsonElement>($"/outputs/{id}");
        Assert.Equal(2, listing.GetProperty("outputs").GetArrayLength());
        Assert.Equal(2, listing.GetProperty("total_files").GetInt32());
        var files = listing.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(["big.bin", "out/r.json"], files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3000, files["big.bin"].GetProperty("size").GetInt64());
        Assert.Equal("2.9 KB", files["big.bin"].GetProperty("size_formatted").GetString());
        Assert.Equal("9 B", files["out/r.json"].GetProperty("size_formatted").GetString());
        Assert.Equal("file", files["out/r.json"].GetProperty("type").GetString());
        Assert.Equal("application/json", files["out/r.json"].GetProperty("mime_type").GetString());
        Assert.Equal($"/download/{id}/out/r.json", files["out/r.json"].GetProperty("download_url").GetString());
        Assert.Equal("{\"ok\": 1}", await server.Client.GetStringAsync($"/download/{id}/{files["out/r.json"].GetProperty("name").GetString()}"));
    }

    [Fact]
    public async Task Manifest_stdin_reaches_the_program_through_submit()
    {
        var id = await server.SubmitOkAsync(
            new Dictionary<string, string> { ["main.rb"] = "puts STDIN.read.reverse" },
            """{"stdin": "olleh"}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal("hello\n", await server.Client.GetStringAsync($"/logs/{id}?format=text"));

        // stdin is part of what was run, so part of the job hash.
        var other = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.rb"] = "puts STDIN.read.reverse" }, """{"stdin": "dlrow"}""");
        var otherStatus = await server.WaitForStatusAsync(other, "completed", "failed");
        Assert.NotEqual(status.GetProperty("job_hash").GetString(), otherStatus.GetProperty("job_hash").GetString());
    }

    [Fact]
    public async Task Runtimes_list_probed_versions_and_aliases()
    {
        var runtimes = (await server.Client.GetFromJsonAsync<JsonElement>("/runtimes")).EnumerateArray().ToList();
        var names = runtimes.SelectMany(r => r.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()!).Append(r.GetProperty("language").GetString()!)).ToHashSet();
        foreach (var name in new[] { "py", "python", "js", "node", "sh", "rb", "r" })
        {
            Assert.Contains(name, names);
        }

        var python = runtimes.Single(r => r.GetProperty("language").GetString() == "python");
        Assert.Equal("python3", python.GetProperty("interpreter").GetString());

        // The version is the interpreter's own answer on this host.
        var banner = await NodeTools.RunAsync("python3", ["--version"], "/", TimeSpan.FromSeconds(30));
        Assert.Equal(banner.Stdout.Trim().Split(' ')[1], python.GetProperty("version").GetString());
        Assert.All(runtimes, r => Assert.Matches(@"^\d+\.\d+", r.GetProperty("version").GetString()));
    }
}
