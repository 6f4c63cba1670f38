using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests.Execution;

/// <summary>
/// A job's output is kept in the server's anonymous RAM files, not on its heap and not where the job can write:
/// every reader gets the same bytes in order while the job floods output, the job cannot find, replace or redirect
/// its log, and deleting the job frees it.
/// </summary>
public sealed class LogStorageTests : IAsyncLifetime
{
    private const string Flood = """
        import sys
        o, e = sys.stdout.buffer, sys.stderr.buffer
        for i in range(40000):
            o.write(bytes([97 + i % 26]) * (1 + i % 50) + b'\n')
            e.write(bytes([65 + i % 26]) * (1 + i % 70) + b'.')
            if i % 7 == 0:
                o.flush()
                e.flush()
        """;

    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-log-storage");

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Flooded_output_reaches_the_live_stream_the_late_stream_and_logs_byte_for_byte()
    {
        var expectedOut = string.Concat(Enumerable.Range(0, 40000).Select(i => new string((char)(97 + (i % 26)), 1 + (i % 50)) + "\n"));
        var expectedErr = string.Concat(Enumerable.Range(0, 40000).Select(i => new string((char)(65 + (i % 26)), 1 + (i % 70)) + "."));
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = Flood }, null);
        var live = await StreamAsync(id);
        Assert.Equal("completed", (await server.WaitForStatusAsync(id, "completed", "failed")).GetProperty("status").GetString());
        var late = await StreamAsync(id);
        var text = await server.Client.GetStringAsync($"/logs/{id}?format=text");
        var json = await server.Client.GetFromJsonAsync<JsonElement>($"/logs/{id}");

        Assert.Equal(expectedOut, json.GetProperty("stdout").GetString());
        Assert.Equal(expectedErr, json.GetProperty("stderr").GetString());
        Assert.False(json.GetProperty("truncated").GetBoolean());

        // The interleaved text is one interleaving of the two streams (their alphabets differ), and both streams
        // replay it frame by frame: the order of arrival, not just each stream's bytes.
        Assert.Equal(expectedOut, string.Concat(text.Where(c => c is '\n' or (>= 'a' and <= 'z'))));
        Assert.Equal(expectedErr, string.Concat(text.Where(c => c is '.' or (>= 'A' and <= 'Z'))));
        foreach (var frames in new[] { live, late })
        {
            Assert.Equal(text, string.Concat(frames.Select(f => f.Data)));
            Assert.Equal(expectedOut, string.Concat(frames.Where(f => f.Type == "stdout").Select(f => f.Data)));
        }
    }

    [Fact]
    public async Task A_job_cannot_reach_replace_or_redirect_its_log_and_deletion_frees_it()
    {
        var sentinel = Path.Combine("/run/sandrun-http-log-storage", $"sentinel-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(sentinel, "host file\n");
        var marker = $"log-{Guid.NewGuid():N}";

        // The job looks for its log everywhere it can see, then plants symlinks under every name a server might
        // give a log file (pointing at a host file), and replaces its own stdout/stderr descriptors' targets.
        var attack = $$"""
            import os, sys
            found = []
            for pid in os.listdir('/proc'):
                for sub in ('fd', 'map_files'):
                    try:
                        for entry in os.listdir(f'/proc/{pid}/{sub}'):
                            try:
                                if 'sandrun-log' in os.readlink(f'/proc/{pid}/{sub}/{entry}'):
                                    found.append(f'{pid}/{sub}/{entry}')
                            except OSError:
                                pass
                    except OSError:
                        pass
            for name in ('stdout', 'stderr', 'log', 'logs', 'output.log', 'job.log', 'sandrun-log', '.sandrun-log', '.log', 'stdout.log', 'stderr.log', '{{marker}}'):
                for d in ('/workspace', '/tmp'):
                    try:
                        os.symlink('{{sentinel}}', f'{d}/{name}')
                    except OSError:
                        pass
            for fd in (1, 2):
                try:
                    os.unlink(os.readlink(f'/proc/self/fd/{fd}'))
                except OSError:
                    pass
            print('found', found)
            print('{{marker}}-out')
            print('{{marker}}-err', file=sys.stderr)
            """;
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = attack }, null);
        Assert.Equal("completed", (await server.WaitForStatusAsync(id, "completed", "failed")).GetProperty("status").GetString());
        var json = await server.Client.GetFromJsonAsync<JsonElement>($"/logs/{id}");

        Assert.Equal($"found []\n{marker}-out\n", json.GetProperty("stdout").GetString());
        Assert.Equal($"{marker}-err\n", json.GetProperty("stderr").GetString());
        Assert.Equal("host file\n", await File.ReadAllTextAsync(sentinel));
        Assert.Contains(ServerLogFiles(), content => content.Contains(marker, StringComparison.Ordinal));

        // A complete download deletes the job, and its log with it.
        using (var download = await server.Client.GetAsync($"/download/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            await download.Content.ReadAsByteArrayAsync();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await server.Client.GetAsync($"/status/{id}")).StatusCode != HttpStatusCode.NotFound && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync($"/logs/{id}")).StatusCode);
        Assert.DoesNotContain(ServerLogFiles(), content => content.Contains(marker, StringComparison.Ordinal));
        Assert.Equal("host file\n", await File.ReadAllTextAsync(sentinel));
        File.Delete(sentinel);
    }

    /// <summary>The contents of this (the server's) process's job log files: anonymous RAM files named sandrun-log.</summary>
    private static List<string> ServerLogFiles()
    {
        var files = new List<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("/memfd:sandrun-log ", StringComparison.Ordinal))
                {
                    files.Add(File.ReadAllText(fd));
                }
            }
            catch (IOException)
            {
                // Closed meanwhile: another job's log.
            }
        }

        return files;
    }

    private async Task<List<(string Type, string Data)>> StreamAsync(string id)
    {
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await socket.ConnectAsync(new Uri($"ws://{server.BaseAddress.Authority}/logs/{id}/stream?format=json"), timeout.Token);
        var frames = new List<(string Type, string Data)>();
        var buffer = new byte[256 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return frames;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                using var frame = JsonDocument.Parse(message.ToArray());
                var type = frame.RootElement.GetProperty("type").GetString()!;
                if (type is "stdout" or "stderr")
                {
                    frames.Add((type, frame.RootElement.GetProperty("data").GetString()!));
                }

                message.SetLength(0);
            }
        }
    }
}
