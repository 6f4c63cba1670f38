using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sandrun.Benchmarks;

/// <summary>
/// The external client of the <c>http</c> harness, run as its own process (<c>http-client URL JOBS CLIENTS</c>) so that
/// its work is not the server's: CLIENTS loops each submit a trivial python3 job (multipart) and wait on the job's
/// WebSocket for <c>[DONE]</c>, while a side poller times <c>GET /status</c> of the latest job every 20 ms. Prints one
/// JSON line: jobs, seconds, the poller's latencies and the client's own CPU time.
/// </summary>
internal static class HttpLoadClient
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<int> RunAsync(string[] args)
    {
        var server = new Uri(args[0]);
        var jobs = int.Parse(args[1], CultureInfo.InvariantCulture);
        var clients = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = server };

        // Warm this process (JIT, connections) before the clock starts.
        await LoadAsync(http, server, 2 * clients, clients, latest: null);

        var latest = new string?[1];
        using var stop = new CancellationTokenSource();
        var poller = PollAsync(http, latest, stop.Token);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        await LoadAsync(http, server, jobs, clients, latest);
        var elapsed = Stopwatch.GetElapsedTime(started);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        await stop.CancelAsync();
        var status = await poller;

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
        {
            ["jobs"] = jobs,
            ["seconds"] = elapsed.TotalSeconds,
            ["client_cpu_seconds"] = cpu.TotalSeconds,
            ["status_count"] = status.Count,
            ["status_p50_ms"] = Samples.Percentile(status, 0.5),
            ["status_p99_ms"] = Samples.Percentile(status, 0.99),
            ["status_max_ms"] = status.Max(),
        }));
        return 0;
    }

    private static async Task LoadAsync(HttpClient http, Uri server, int jobs, int clients, string?[]? latest)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < jobs)
            {
                await RunJobAsync(http, server, latest);
            }
        }));
    }

    private static async Task RunJobAsync(HttpClient http, Uri server, string?[]? latest)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(HttpThroughput.Code)), "files", "main.py" } };
        using var submit = await http.PostAsync(new Uri("/submit", UriKind.Relative), form);
        submit.EnsureSuccessStatusCode();
        var id = (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        if (latest is not null)
        {
            Volatile.Write(ref latest[0], id);
        }

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(server) { Scheme = "ws", Path = $"/logs/{id}/stream" }.Uri, CancellationToken.None);
        var output = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var frame = new StringBuilder();
            WebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                frame.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
            }
            while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"job {id}: the stream closed before [DONE]");
            }

            var text = frame.ToString();
            if (text.StartsWith("[DONE]", StringComparison.Ordinal))
            {
                if (text != "[DONE] completed exit=0" || output.ToString() != "42\n")
                {
                    throw new InvalidOperationException($"job {id}: '{text}' after output '{output}'");
                }

                break;
            }

            output.Append(text);
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    private static async Task<List<double>> PollAsync(HttpClient http, string?[] latest, CancellationToken stop)
    {
        var latencies = new List<double>();
        using var timer = new PeriodicTimer(PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (Volatile.Read(ref latest[0]) is not { } id)
                {
                    continue;
                }

                var t = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(new Uri($"/status/{id}", UriKind.Relative), HttpCompletionOption.ResponseContentRead, stop);
                response.EnsureSuccessStatusCode();
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException)
        {
            // The load ended.
        }

        return latencies;
    }
}
