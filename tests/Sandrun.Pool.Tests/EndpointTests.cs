using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sandrun.Pool.Tests;

/// <summary>Every SPEC.md §2 endpoint through the pool, with the pool's ids, against a real worker process.</summary>
public sealed class EndpointTests
{
    private const string Program = "import os, sys, time\nprint('first', flush=True)\ntime.sleep(2)\nprint('second')\nprint('oops', file=sys.stderr)\n"
        + "os.makedirs('out', exist_ok=True)\nopen('out/a.txt', 'w').write('alpha')\nopen('out/b.txt', 'w').write('beta')\n";

    [Fact]
    public async Task Every_endpoint_works_through_the_pool_with_live_websocket_output_and_downloads()
    {
        await using var worker = await WorkerProcess.StartAsync();
        await using var pool = await PoolHost.StartAsync([(worker.WorkerId, worker.Endpoint, 4)]);
        await pool.WaitForWorkersAsync(true, worker.Endpoint);
        var client = pool.Client;

        var id = await client.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = Program }, """{"entrypoint":"main.py","outputs":["out/"]}""");
        Assert.StartsWith("job-", id, StringComparison.Ordinal);

        // Live output: "first" arrives while the job still runs (it sleeps 2 s before "second").
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(WebSocketUri(pool, $"/logs/{id}/stream"), CancellationToken.None);
            var frames = new List<string>();
            var statusAtFirst = "";
            while (true)
            {
                var frame = await ReceiveAsync(socket);
                if (frame is null)
                {
                    break;
                }

                frames.Add(frame);
                if (frame.Contains("first", StringComparison.Ordinal) && statusAtFirst.Length == 0)
                {
                    statusAtFirst = (await client.StatusAsync(id)).GetProperty("status").GetString()!;
                }
            }

            Assert.Equal("running", statusAtFirst);
            Assert.Equal("[DONE] completed exit=0", frames[^1]);
            Assert.Contains("second", string.Concat(frames), StringComparison.Ordinal);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
        }

        var status = await client.WaitForEndAsync(id);
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.True(status.GetProperty("pool_metadata").GetProperty("receipt_verified").GetBoolean());
        Assert.Equal(id, status.GetProperty("job_id").GetString());

        // ?wait holds the answer until the job ended, as on a server: one request, the checked final status.
        var held = await client.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import time\ntime.sleep(1)\nprint('held')\n" }, """{"entrypoint":"main.py"}""");
        var heldStatus = await client.Http.GetFromJsonAsync<JsonElement>($"/status/{held}?wait=30");
        Assert.Equal("completed", heldStatus.GetProperty("status").GetString());
        Assert.True(heldStatus.GetProperty("pool_metadata").GetProperty("receipt_verified").GetBoolean());
        using (var badWait = await client.Http.GetAsync($"/status/{held}?wait=61"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badWait.StatusCode);
            Assert.Equal("invalid wait", (await badWait.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }

        // The alias stream, JSON frames, joined late: buffered output, then done.
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(WebSocketUri(pool, $"/stream/{id}?format=json"), CancellationToken.None);
            var frames = new List<JsonElement>();
            while (await ReceiveAsync(socket) is { } frame)
            {
                frames.Add(JsonDocument.Parse(frame).RootElement);
            }

            Assert.Contains(frames, f => f.GetProperty("type").GetString() == "stdout" && f.GetProperty("data").GetString()!.Contains("first", StringComparison.Ordinal));
            Assert.Equal("done", frames[^1].GetProperty("type").GetString());
        }

        // /logs as JSON (the original client's shape) and as text.
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/logs/{id}"))
        {
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await client.Http.SendAsync(request);
            var logs = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("first\nsecond\n", logs.GetProperty("stdout").GetString());
            Assert.Equal("oops\n", logs.GetProperty("stderr").GetString());
            Assert.False(logs.GetProperty("truncated").GetBoolean());
        }

        // /outputs with the pool's id and download URLs that work through the pool; the original pool's alias too.
        var outputs = await client.Http.GetFromJsonAsync<JsonElement>($"/outputs/{id}");
        Assert.Equal(id, outputs.GetProperty("job_id").GetString());
        Assert.Equal("completed", outputs.GetProperty("status").GetString());
        var listed = outputs.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("path").GetString()!, o => o.GetProperty("download_url").GetString()!);
        Assert.Equal(["out/a.txt", "out/b.txt"], listed.Keys.Order());
        Assert.Equal($"/download/{id}/out/a.txt", listed["out/a.txt"]);
        Assert.Equal("alpha", await client.Http.GetStringAsync(listed["out/a.txt"]));
        Assert.Equal("beta", await client.Http.GetStringAsync($"/outputs/{id}/out/b.txt"));

        // Everything else a server answers.
        Assert.Equal("healthy", (await client.Http.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString());
        Assert.Contains("python3", (await client.Http.GetFromJsonAsync<JsonElement>("/environments")).GetProperty("interpreters").EnumerateArray().Select(i => i.GetString()));
        var info = await client.Http.GetFromJsonAsync<JsonElement>("/");
        Assert.Equal("sandrun", info.GetProperty("service").GetString());
        Assert.Equal("pool", info.GetProperty("mode").GetString());
        var stats = await client.Http.GetFromJsonAsync<JsonElement>("/stats");
        Assert.True(stats.GetProperty("your_quota").GetProperty("can_submit").GetBoolean());
        Assert.Equal(0, stats.GetProperty("system").GetProperty("queue_length").GetInt32());

        // All outputs as <job_id>.tar.gz; after the complete transfer the job is gone, at the pool and on the worker.
        using (var response = await client.Http.GetAsync($"/download/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/gzip", response.Content.Headers.ContentType?.MediaType);
            var files = new Dictionary<string, string>();
            await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                if (entry.DataStream is { } data)
                {
                    files[entry.Name] = await new StreamReader(data).ReadToEndAsync();
                }
            }

            Assert.Equal("alpha", files["out/a.txt"]);
            Assert.Equal("beta", files["out/b.txt"]);
        }

        foreach (var path in new[] { $"/status/{id}", $"/logs/{id}", $"/outputs/{id}", $"/download/{id}" })
        {
            await AssertNotFoundAsync(client, path);
        }

        using (var direct = new HttpClient { BaseAddress = new Uri(worker.Endpoint) })
        {
            var workerJobId = status.GetProperty("pool_metadata").GetProperty("worker_job_id").GetString();
            Assert.Equal(HttpStatusCode.NotFound, (await direct.GetAsync($"/status/{workerJobId}")).StatusCode);
        }

        // Unknown ids: JSON 404s, and the stream's own answer.
        foreach (var path in new[] { "/status/job-unknown", "/logs/job-unknown", "/outputs/job-unknown", "/download/job-unknown", "/download/job-unknown/a.txt" })
        {
            await AssertNotFoundAsync(client, path);
        }

        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(WebSocketUri(pool, "/logs/job-unknown/stream"), CancellationToken.None);
            Assert.Equal("[ERROR] Job not found", await ReceiveAsync(socket));
            Assert.Null(await ReceiveAsync(socket));
            Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
        }

        // The owner goes down: per-job requests get 503 with Retry-After; the verified final status stays.
        var second = await client.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "print('x')\n" }, """{"entrypoint":"main.py"}""");
        Assert.Equal("completed", (await client.WaitForEndAsync(second)).GetProperty("status").GetString());
        worker.Kill();
        await pool.WaitForWorkersAsync(false, worker.Endpoint);
        using (var response = await client.Http.GetAsync($"/logs/{second}"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.Equal("worker unavailable", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }

        Assert.Equal("completed", (await client.StatusAsync(second)).GetProperty("status").GetString());
    }

    private static async Task AssertNotFoundAsync(PoolClient client, string path)
    {
        using var response = await client.Http.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetString()));
    }

    internal static Uri WebSocketUri(PoolHost pool, string pathAndQuery) => new($"ws://{pool.Address.Authority}{pathAndQuery}");

    /// <summary>One whole text message, or null once the server closed.</summary>
    internal static async Task<string?> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[65536];
        using var message = new MemoryStream();
        while (true)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }
}
