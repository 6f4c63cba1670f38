using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sandrun.Benchmarks;

/// <summary>
/// Throughput of trivial <c>python3</c> jobs end to end through HTTP (submit, poll, logs) against running the
/// same <c>python3 -c</c> directly with the same concurrency, in one run; plus /status latency under that load
/// and the idle server's RSS.
/// </summary>
internal static class HttpThroughput
{
    internal const string Code = "print(6 * 7)";

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = args.Length >= 2 && args[0] == "--jobs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
        var concurrency = Environment.ProcessorCount;
        var (app, address) = await BenchServer.StartAsync("/run/sandrun-bench-http", mcp: false);
        await using var disposeApp = app;
        using var client = new HttpClient { BaseAddress = address };

        await Task.Delay(1000);
        var idleRss = Process.GetCurrentProcess().WorkingSet64;
        await RunHttp(client, 20, concurrency, null);
        await RunDirect(20, concurrency);

        var statusLatencies = new List<double>();
        var httpTime = await RunHttp(client, jobs, concurrency, statusLatencies);
        var directTime = await RunDirect(jobs, concurrency);
        var httpRate = jobs / httpTime.TotalSeconds;
        var directRate = jobs / directTime.TotalSeconds;
        statusLatencies.Sort();
        var p50 = statusLatencies[statusLatencies.Count / 2];
        var p99 = statusLatencies[(int)Math.Min(statusLatencies.Count - 1, Math.Ceiling(statusLatencies.Count * 0.99) - 1)];

        Console.WriteLine($"# {jobs} trivial python3 jobs ('{Code}'), concurrency {concurrency}, {Environment.ProcessorCount} CPUs");
        Console.WriteLine($"through HTTP (submit + poll /status + /logs): {httpRate,7:F1} jobs/s");
        Console.WriteLine($"python3 -c directly (Process.Start):          {directRate,7:F1} jobs/s");
        Console.WriteLine($"ratio: {httpRate / directRate:F2} (target ≥ 0.8)");
        Console.WriteLine($"/status latency under load: p50 {p50:F2} ms, p99 {p99:F2} ms (target p99 < 10 ms), {statusLatencies.Count} requests");
        Console.WriteLine($"idle server RSS: {idleRss / (1024.0 * 1024.0):F1} MiB");
        return 0;
    }

    private static async Task<TimeSpan> RunHttp(HttpClient client, int jobs, int concurrency, List<double>? statusLatencies)
    {
        var started = Stopwatch.GetTimestamp();
        var gate = new object();

        // Enough clients in flight to keep every worker busy, as the direct run keeps every core busy.
        await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = concurrency * 2 }, async (_, ct) =>
        {
            var form = new MultipartFormDataContent { { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(Code)), "files", "main.py" } };
            using var submit = await client.PostAsync("/submit", form, ct);
            submit.EnsureSuccessStatusCode();
            var id = (await submit.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("job_id").GetString();
            while (true)
            {
                var t = Stopwatch.GetTimestamp();
                var status = await client.GetFromJsonAsync<JsonElement>($"/status/{id}", ct);
                if (statusLatencies is not null)
                {
                    lock (gate)
                    {
                        statusLatencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    }
                }

                var state = status.GetProperty("status").GetString();
                if (state is "completed" or "failed")
                {
                    if (state == "failed")
                    {
                        throw new InvalidOperationException($"job {id} failed: {status}");
                    }

                    await client.GetStringAsync($"/logs/{id}", ct);
                    return;
                }

                await Task.Delay(5, ct);
            }
        });
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>The baseline: <c>python3 -c Code</c> started directly, output read, exit awaited.</summary>
    internal static async Task RunPythonAsync(CancellationToken cancellationToken = default)
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", Code]) { RedirectStandardOutput = true })!;
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
    }

    internal static async Task<TimeSpan> RunDirect(int jobs, int concurrency)
    {
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, ct) => await RunPythonAsync(ct));
        return Stopwatch.GetElapsedTime(started);
    }
}
