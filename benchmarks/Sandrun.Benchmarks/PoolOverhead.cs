using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.Pool;
using Sandrun.Receipts;

namespace Sandrun.Benchmarks;

/// <summary>
/// The pool's overhead (SPEC.md §7): two worker processes (the sample server), trivial python3 jobs sent straight to
/// the workers (round robin) against the same jobs through a pool in front of them, same clients, same run;
/// /status latency on both paths under that load; WebSocket first-frame latency direct vs proxied.
/// </summary>
internal static class PoolOverhead
{
    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = args.Length >= 2 && args[0] == "--jobs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var concurrency = Environment.ProcessorCount * 2;
        var directory = Directory.CreateTempSubdirectory("sandrun-bench-pool-").FullName;
        var workers = new List<(Process Process, string WorkerId, Uri Endpoint)>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                workers.Add(await StartWorkerAsync(directory, i));
            }

            await using var pool = await StartPoolAsync(workers.Select(w => (w.WorkerId, w.Endpoint)));
            var poolAddress = new Uri(pool.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
            using var http = new HttpClient();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((await http.GetFromJsonAsync<JsonElement>(new Uri(poolAddress, "/pool"))).GetProperty("healthy_workers").GetInt32() < 2)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException("the workers were not verified in time");
                }

                await Task.Delay(100);
            }

            Uri[] direct = [.. workers.Select(w => w.Endpoint)];
            Uri[] pooled = [poolAddress];

            // Warm both paths, then measure them alternately (twice each) so drift on a shared machine hits both.
            await RunJobsAsync(http, direct, 20, concurrency, null);
            await RunJobsAsync(http, pooled, 20, concurrency, null);
            var directStatus = new List<double>();
            var poolStatus = new List<double>();
            var directTime = TimeSpan.Zero;
            var poolTime = TimeSpan.Zero;
            for (var round = 0; round < 2; round++)
            {
                directTime += await RunJobsAsync(http, direct, jobs / 2, concurrency, directStatus);
                poolTime += await RunJobsAsync(http, pooled, jobs / 2, concurrency, poolStatus);
            }

            var directRate = jobs / directTime.TotalSeconds;
            var poolRate = jobs / poolTime.TotalSeconds;
            var (directWs, poolWs) = await FirstFrameLatencyAsync(http, direct[0], poolAddress, 100);

            Console.WriteLine($"# {jobs} trivial python3 jobs ('{HttpThroughput.Code}') per path, {concurrency} clients, 2 worker processes, {Environment.ProcessorCount} CPUs");
            Console.WriteLine($"straight to the workers (round robin): {directRate,7:F1} jobs/s");
            Console.WriteLine($"through the pool:                      {poolRate,7:F1} jobs/s");
            Console.WriteLine($"throughput ratio pool/direct: {poolRate / directRate:F2} (target ≥ 0.9)");
            Console.WriteLine($"/status under load: direct p50 {Samples.Percentile(directStatus, 0.5):F2} ms p99 {Samples.Percentile(directStatus, 0.99):F2} ms; "
                + $"pool p50 {Samples.Percentile(poolStatus, 0.5):F2} ms p99 {Samples.Percentile(poolStatus, 0.99):F2} ms; added p99 {Samples.Percentile(poolStatus, 0.99) - Samples.Percentile(directStatus, 0.99):F2} ms (target ≤ 2 ms)");
            Console.WriteLine($"WebSocket first frame (finished job, connect → first frame): direct p50 {Samples.Percentile(directWs, 0.5):F2} ms p99 {Samples.Percentile(directWs, 0.99):F2} ms; "
                + $"pool p50 {Samples.Percentile(poolWs, 0.5):F2} ms p99 {Samples.Percentile(poolWs, 0.99):F2} ms");
            return 0;
        }
        finally
        {
            // SIGTERM: the workers end their jobs and unmount their workspaces.
            foreach (var (process, _, _) in workers)
            {
                using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }

                await process.WaitForExitAsync();
                process.Dispose();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Submit, poll /status, read /logs for each job; the targets take turns (round robin).</summary>
    private static async Task<TimeSpan> RunJobsAsync(HttpClient client, Uri[] targets, int jobs, int concurrency, List<double>? statusLatencies)
    {
        var started = Stopwatch.GetTimestamp();
        var gate = new object();
        await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (n, ct) =>
        {
            var target = targets[n % targets.Length];
            using var form = new MultipartFormDataContent { { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(HttpThroughput.Code)), "files", "main.py" } };
            using var submit = await client.PostAsync(new Uri(target, "/submit"), form, ct);
            var body = await submit.Content.ReadAsStringAsync(ct);
            if (!submit.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"submit to {target} failed: {(int)submit.StatusCode} {body}");
            }

            var id = JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString();
            while (true)
            {
                var t = Stopwatch.GetTimestamp();
                var status = await client.GetFromJsonAsync<JsonElement>(new Uri(target, $"/status/{id}"), ct);
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

                    await client.GetStringAsync(new Uri(target, $"/logs/{id}"), ct);
                    return;
                }

                await Task.Delay(5, ct);
            }
        });
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Connect to a finished job's stream and time the first frame, alternating direct and through the pool.</summary>
    private static async Task<(List<double> Direct, List<double> Pool)> FirstFrameLatencyAsync(HttpClient client, Uri worker, Uri pool, int samples)
    {
        async Task<string> FinishedJobAsync(Uri target)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(HttpThroughput.Code)), "files", "main.py" } };
            using var submit = await client.PostAsync(new Uri(target, "/submit"), form);
            var id = JsonDocument.Parse(await submit.Content.ReadAsStringAsync()).RootElement.GetProperty("job_id").GetString()!;
            while ((await client.GetFromJsonAsync<JsonElement>(new Uri(target, $"/status/{id}"))).GetProperty("status").GetString() is not ("completed" or "failed"))
            {
                await Task.Delay(10);
            }

            return id;
        }

        async Task<double> FirstFrameAsync(Uri target, string id)
        {
            var started = Stopwatch.GetTimestamp();
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://{target.Authority}/logs/{id}/stream"), CancellationToken.None);
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer, CancellationToken.None);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            socket.Abort();
            return elapsed;
        }

        var directId = await FinishedJobAsync(worker);
        var poolId = await FinishedJobAsync(pool);
        var directTimes = new List<double>();
        var poolTimes = new List<double>();
        for (var i = 0; i < samples + 10; i++)
        {
            var d = await FirstFrameAsync(worker, directId);
            var p = await FirstFrameAsync(pool, poolId);
            if (i >= 10)
            {
                directTimes.Add(d);
                poolTimes.Add(p);
            }
        }

        return (directTimes, poolTimes);
    }

    private static async Task<(Process Process, string WorkerId, Uri Endpoint)> StartWorkerAsync(string directory, int index)
    {
        var key = Path.Combine(directory, $"worker{index}.pem");
        string workerId;
        using (var signer = Ed25519Signer.Generate())
        {
            signer.Save(key);
            workerId = signer.WorkerId!;
        }

        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var server = Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        var process = Process.Start(new ProcessStartInfo("dotnet",
        [
            "exec", server, "--port", port.ToString(CultureInfo.InvariantCulture), "--worker-key", key,
            "--Sandrun:Sandbox:StateDirectory", $"/run/sandrun-bench-pool-{index}",
            "--Sandrun:Sandbox:HostIdBase", (2_150_000_000L + (index * 100_000L)).ToString(CultureInfo.InvariantCulture),
            "--Sandrun:RateLimits:Enabled", "false", "--Sandrun:Workers", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default", "Warning",
        ]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("worker mode:", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) == ready.Task)
        {
            return (process, workerId, new Uri($"http://127.0.0.1:{port}"));
        }

        process.Kill();
        throw new InvalidOperationException($"worker {index} did not start");
    }

    private static async Task<WebApplication> StartPoolAsync(IEnumerable<(string WorkerId, Uri Endpoint)> workers)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["Sandrun:RateLimits:Enabled"] = "false";
        builder.Services.AddSandrunPool(builder.Configuration, o =>
        {
            foreach (var (id, endpoint) in workers)
            {
                o.Workers.Add(new PoolWorkerOptions { WorkerId = id, Endpoint = endpoint.ToString(), MaxConcurrentJobs = 8 });
            }

            o.HealthCheckInterval = TimeSpan.FromSeconds(1);
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.UseCors();
        app.MapSandrunPool();
        await app.StartAsync();
        return app;
    }
}
