using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests;

/// <summary>Every endpoint of SPEC.md §2 over real HTTP against the real sandbox.</summary>
public sealed class ApiTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Seed_quick_start_works_verbatim()
    {
        // echo 'print("Hello, Sandrun!")' > hello.py; tar czf job.tar.gz hello.py; curl -F files=@job.tar.gz -F 'manifest={...}'
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["hello.py"] = "print(\"Hello, Sandrun!\")\n" }, """{"entrypoint":"hello.py","interpreter":"python3"}""");
        Assert.Matches("^job-[a-z2-7]{26}$", id);
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("failure_reason").ValueKind);
        var meta = status.GetProperty("execution_metadata");
        Assert.Equal(0, meta.GetProperty("exit_code").GetInt32());
        Assert.True(meta.GetProperty("cpu_seconds").GetDouble() > 0);
        Assert.True(meta.GetProperty("memory_peak_bytes").GetInt64() > 0);
        Assert.Equal("python3", meta.GetProperty("interpreter").GetString());
        Assert.Equal(0, status.GetProperty("queue_position").GetInt32());
        Assert.Matches("^[0-9a-f]{64}$", status.GetProperty("job_hash").GetString());

        // Anonymous worker: every worker_metadata field is null.
        Assert.All(status.GetProperty("worker_metadata").EnumerateObject(), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));
        var logs = await server.Client.GetStringAsync($"/logs/{id}?format=text");
        Assert.Contains("Hello, Sandrun!", logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_info_health_environments_stats_and_unknown_jobs()
    {
        var root = await server.Client.GetFromJsonAsync<JsonElement>("/");
        Assert.Equal("sandrun", root.GetProperty("service").GetString());
        Assert.Equal("running", root.GetProperty("status").GetString());
        Assert.Equal(3600, root.GetProperty("limits").GetProperty("max_timeout_seconds").GetInt32());
        Assert.Contains("5 minutes after a failure or 1 hour after completion", root.GetProperty("privacy").GetString(), StringComparison.Ordinal);

        var health = await server.Client.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, health.GetProperty("worker_id").ValueKind);

        var environments = await server.Client.GetFromJsonAsync<JsonElement>("/environments");
        Assert.Contains("python3", environments.GetProperty("interpreters").EnumerateArray().Select(e => e.GetString()));

        var stats = await server.Client.GetFromJsonAsync<JsonElement>("/stats");
        Assert.True(stats.GetProperty("your_quota").GetProperty("can_submit").GetBoolean());
        Assert.Equal(0, stats.GetProperty("system").GetProperty("queue_length").GetInt32());

        using var unknownJob = await server.Client.GetAsync("/status/job-doesnotexist");
        Assert.Equal(HttpStatusCode.NotFound, unknownJob.StatusCode);
        Assert.Equal("job not found", (await unknownJob.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Cors_headers_and_preflight()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        request.Headers.Add("Origin", "https://example.org");
        using var get = await server.Client.SendAsync(request);
        Assert.Equal("*", get.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/submit");
        preflight.Headers.Add("Origin", "https://example.org");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await server.Client.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"entrypoint":"main.py","interpreter":"cobol"}""", "interpreter")]
    [InlineData("""{"entrypoint":"missing.py"}""", "entrypoint")]
    [InlineData("""{"entrypoint":"main.py","timeout":99999}""", "timeout")]
    [InlineData("""{"entrypoint":"main.py","memory_mb":"lots"}""", "memory_mb")]
    [InlineData("""{"entrypoint":"main.py","entrypiont":"x"}""", "entrypiont")]
    [InlineData("""{"entrypoint":"main.py","env":{"PATH":"/evil"}}""", "env.PATH")]
    [InlineData("""{"entrypoint":"../main.py"}""", "entrypoint")]
    [InlineData("""not json""", "manifest")]
    public async Task Invalid_manifests_are_400_naming_the_field(string manifest, string field)
    {
        using var response = await server.SubmitAsync(new Dictionary<string, string> { ["main.py"] = "print(1)" }, manifest);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid manifest", body.GetProperty("error").GetString());
        Assert.StartsWith(field, body.GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_uploads_are_4xx_with_json_errors()
    {
        using var notMultipart = await server.Client.PostAsync("/submit", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notMultipart.StatusCode);
        Assert.Equal("invalid upload", (await notMultipart.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        var noFiles = new MultipartFormDataContent { { new StringContent("{}"), "manifest" } };
        using var noFilesResponse = await server.Client.PostAsync("/submit", noFiles);
        Assert.Equal(HttpStatusCode.BadRequest, noFilesResponse.StatusCode);

        var traversal = new MultipartFormDataContent { { new ByteArrayContent(TarWithEntryName("../escape.py")), "files", "job.tar" } };
        using var traversalResponse = await server.Client.PostAsync("/submit", traversal);
        Assert.Equal(HttpStatusCode.BadRequest, traversalResponse.StatusCode);
        Assert.Contains("escape.py", (await traversalResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details").GetString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(server.WorkspaceOf("x"))!, "escape.py")));
        Assert.False(File.Exists("/run/sandrun-http-tests/escape.py"));
    }

    [Fact]
    public async Task Upload_over_the_limit_is_413()
    {
        await using var small = await TestServer.StartAsync(o => o.Limits.MaxUploadBytes = 64 * 1024, "/run/sandrun-http-tests-small");
        var big = new MultipartFormDataContent { { new ByteArrayContent(new byte[200_000]), "files", "data.bin" } };
        using var response = await small.Client.PostAsync("/submit", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("upload too large", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        using var health = await small.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Multi_file_project_with_outputs_in_subdirectories_lists_and_downloads_them()
    {
        var files = new Dictionary<string, string>
        {
            ["main.py"] = "import lib.util as u, os\nos.makedirs('out/plots', exist_ok=True)\nopen('out/result.csv','w').write(u.csv())\nopen('out/plots/p.json','w').write('{}')\nopen('scratch.tmp','w').write('x')\nprint('done')\n",
            ["lib/__init__.py"] = "",
            ["lib/util.py"] = "def csv():\n    return 'a,b\\n1,2\\n'\n",
        };
        var id = await server.SubmitOkAsync(files, """{"entrypoint":"main.py","outputs":["out/"]}""");
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.True(server.IsMounted(id));
        var outputFiles = status.GetProperty("output_files");
        Assert.Equal(["out/plots/p.json", "out/result.csv"], outputFiles.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(8, outputFiles.GetProperty("out/result.csv").GetProperty("size_bytes").GetInt64());

        var listing = await server.Client.GetFromJsonAsync<JsonElement>($"/outputs/{id}");
        var csv = listing.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("path").GetString() == "out/result.csv");
        Assert.Equal("text/csv", csv.GetProperty("mime_type").GetString());
        Assert.Equal($"/download/{id}/out/result.csv", csv.GetProperty("download_url").GetString());

        using var one = await server.Client.GetAsync(csv.GetProperty("download_url").GetString());
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal("text/csv", one.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", one.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("a,b\n1,2\n", await one.Content.ReadAsStringAsync());

        using var notOutput = await server.Client.GetAsync($"/download/{id}/scratch.tmp");
        Assert.Equal(HttpStatusCode.NotFound, notOutput.StatusCode);
        using var traversal = await server.Client.GetAsync($"/download/{id}/..%2F..%2Fetc%2Fpasswd");
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);

        using var all = await server.Client.GetAsync($"/download/{id}");
        Assert.Equal("application/gzip", all.Content.Headers.ContentType!.MediaType);
        var names = new List<string>();
        await using (var gzip = new GZipStream(await all.Content.ReadAsStreamAsync(), CompressionMode.Decompress))
        await using (var tar = new TarReader(gzip))
        {
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                names.Add(entry.Name);
            }
        }

        Assert.Equal(["out/plots/p.json", "out/result.csv"], names.Order(StringComparer.Ordinal));

        // A complete download deletes the job.
        using var gone = await server.Client.GetAsync($"/status/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.False(Directory.Exists(server.WorkspaceOf(id)));
        Assert.False(server.IsMounted(id));
    }

    [Fact]
    public async Task Status_with_wait_answers_when_the_job_ends_or_when_the_wait_is_over()
    {
        // One request, no polling: the answer comes once the job has ended.
        var quick = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import time\ntime.sleep(1)\nprint('done')\n" }, null);
        var ended = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{quick}?wait=30");
        Assert.Equal("completed", ended.GetProperty("status").GetString());
        Assert.Equal(0, ended.GetProperty("execution_metadata").GetProperty("exit_code").GetInt32());

        // A wait shorter than the job: the job as it is then, still unfinished.
        var slow = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import time\ntime.sleep(30)\n" }, null);
        var unfinished = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{slow}?wait=0.3");
        Assert.Contains(unfinished.GetProperty("status").GetString(), new[] { "queued", "running" });

        // A finished job's status comes at once whatever the wait.
        var again = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{quick}?wait=60");
        Assert.Equal("completed", again.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("61")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e400")]
    public async Task Status_with_a_bad_wait_is_400_naming_it(string wait)
    {
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "print(1)\n" }, null);
        using var response = await server.Client.GetAsync($"/status/{id}?wait={Uri.EscapeDataString(wait)}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("invalid wait", error.GetProperty("error").GetString());
        Assert.Contains("wait must be a number of seconds from 0 to 60", error.GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_as_json_separate_the_streams()
    {
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(4)\n" }, null);
        var status = await server.WaitForStatusAsync(id, "completed", "failed");
        Assert.Equal("failed", status.GetProperty("status").GetString());
        Assert.Equal("exit_code", status.GetProperty("failure_reason").GetString());
        Assert.Equal(4, status.GetProperty("execution_metadata").GetProperty("exit_code").GetInt32());
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/logs/{id}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await server.Client.SendAsync(request);
        var logs = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("out\n", logs.GetProperty("stdout").GetString());
        Assert.Equal("err\n", logs.GetProperty("stderr").GetString());
        Assert.False(logs.GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task Streaming_delivers_output_before_the_job_exits_and_replays_for_late_joiners()
    {
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import time\nprint('first', flush=True)\ntime.sleep(2)\nprint('second')\n" }, null);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{server.BaseAddress.Authority}/logs/{id}/stream"), CancellationToken.None);
        var first = await ReceiveAsync(socket);
        Assert.Contains("first", first, StringComparison.Ordinal);
        var statusWhileStreaming = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{id}");
        Assert.Equal("running", statusWhileStreaming.GetProperty("status").GetString());

        var rest = new StringBuilder();
        while (true)
        {
            var frame = await ReceiveAsync(socket);
            if (frame.StartsWith("[DONE]", StringComparison.Ordinal))
            {
                Assert.Equal("[DONE] completed exit=0", frame);
                break;
            }

            rest.Append(frame);
        }

        Assert.Contains("second", rest.ToString(), StringComparison.Ordinal);
        await ReceiveAsync(socket);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);

        // Late joiner (alias path, JSON frames): everything replayed, then done.
        using var late = new ClientWebSocket();
        await late.ConnectAsync(new Uri($"ws://{server.BaseAddress.Authority}/stream/{id}?format=json"), CancellationToken.None);
        var frames = new List<JsonElement>();
        while (await ReceiveAsync(late) is { Length: > 0 } text)
        {
            frames.Add(JsonDocument.Parse(text).RootElement);
        }

        var output = string.Concat(frames.Where(f => f.GetProperty("type").GetString() == "stdout").Select(f => f.GetProperty("data").GetString()));
        Assert.Equal("first\nsecond\n", output);
        Assert.Equal("done", frames[^1].GetProperty("type").GetString());
        Assert.Equal("completed", frames[^1].GetProperty("data").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Streaming_an_unknown_job_reports_an_error_and_closes_1008()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{server.BaseAddress.Authority}/logs/job-unknown/stream"), CancellationToken.None);
        Assert.Equal("[ERROR] Job not found", await ReceiveAsync(socket));
        await ReceiveAsync(socket);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
    }

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        while (true)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return string.Empty;
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            if (result.EndOfMessage)
            {
                return text.ToString();
            }
        }
    }

    private static byte[] TarWithEntryName(string name)
    {
        // TarWriter refuses nothing: it writes the name as given, so this is a real traversal entry.
        using var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("print(1)"u8.ToArray()) });
        }

        return output.ToArray();
    }
}
