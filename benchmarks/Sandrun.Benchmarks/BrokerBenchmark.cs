using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;
using Sandrun.AspNetCore;
using Sandrun.Broker;
using Sandrun.Broker.Storage;
using Sandrun.Linux;
using Sandrun.Receipts;

namespace Sandrun.Benchmarks;

/// <summary>
/// The broker, measured in one run: claim throughput of both stores (8 claimers, no-op work: claim then complete);
/// trivial python3 jobs through broker + one local node against the same node's own HTTP API (ratio); and the time
/// from a node's death (SIGKILL of a worker process) to its job running again on another node.
/// </summary>
internal static class BrokerBenchmark
{
    private const string Code = "print(6 * 7)";

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = args.Length >= 2 && args[0] == "--jobs" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var directory = Directory.CreateTempSubdirectory("sandrun-bench-broker-").FullName;
        try
        {
            Console.WriteLine($"# broker benchmark, {Environment.ProcessorCount} CPUs");
            var sqlite = await ClaimThroughputAsync(new SqliteBrokerStore(Path.Combine(directory, "claims.db"), TimeProvider.System, new BrokerWakeup()), 4000);
            Console.WriteLine($"claim+complete, SQLite file, 8 claimers:  {sqlite,8:F0} jobs/s");
            await using (var postgres = await PostgresInstance.StartAsync())
            {
                var pg = await ClaimThroughputAsync(
                    new PostgresBrokerStore(postgres.ConnectionString, TimeProvider.System, new BrokerWakeup(), NullLogger<PostgresBrokerStore>.Instance), 4000);
                Console.WriteLine($"claim+complete, PostgreSQL, 8 claimers:   {pg,8:F0} jobs/s (PostgreSQL/SQLite {pg / sqlite:F2})");
            }

            await EndToEndAsync(directory, jobs);
            await NodeDeathAsync(directory);
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<double> ClaimThroughputAsync(IBrokerStore store, int jobs)
    {
        await using (store)
        {
            await store.InitializeAsync(CancellationToken.None);
            for (var i = 0; i < jobs; i++)
            {
                await store.SubmitAsync(new NewBrokerJob(Jobs.JobStore.NewId(), "hash", "{}", [1, 2, 3], 3), CancellationToken.None);
            }

            var result = new BrokerResult("completed", 0, null, "{}", [], [], null);
            var done = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(n => Task.Run(async () =>
            {
                while (await store.ClaimAsync($"node-{n}", TimeSpan.FromSeconds(30), CancellationToken.None) is { } lease)
                {
                    await store.CompleteAsync(lease.JobId, $"node-{n}", lease.LeaseToken, result, TimeSpan.FromHours(1), CancellationToken.None);
                    Interlocked.Increment(ref done);
                }
            })));
            return done / clock.Elapsed.TotalSeconds;
        }
    }

    private static async Task EndToEndAsync(string directory, int jobs)
    {
        var concurrency = Environment.ProcessorCount;
        var (broker, brokerAddress) = await StartBrokerAsync(Path.Combine(directory, "broker.db"), 30);
        await using var disposeBroker = broker;
        var (node, nodeAddress) = await StartNodeAsync(brokerAddress, concurrency);
        await using var disposeNode = node;
        using var brokerClient = new HttpClient { BaseAddress = brokerAddress };
        using var nodeClient = new HttpClient { BaseAddress = nodeAddress };

        // Warm both paths, then measure each with the same jobs and concurrency.
        await RunAsync(jobs: 20, concurrency, id => nodeClient.GetFromJsonAsync<JsonElement>($"/status/{id}"), nodeClient, Multipart);
        await RunAsync(jobs: 20, concurrency, id => brokerClient.GetFromJsonAsync<JsonElement>($"/status/{id}"), brokerClient, Multipart);
        var direct = await RunAsync(jobs, concurrency, id => nodeClient.GetFromJsonAsync<JsonElement>($"/status/{id}"), nodeClient, Multipart);
        var brokered = await RunAsync(jobs, concurrency, id => brokerClient.GetFromJsonAsync<JsonElement>($"/status/{id}"), brokerClient, Multipart);
        Console.WriteLine($"# {jobs} trivial python3 jobs ('{Code}'), {concurrency} slots, {concurrency * 2} clients in flight");
        Console.WriteLine($"the node's own HTTP API (submit, poll /status): {jobs / direct.TotalSeconds,7:F1} jobs/s");
        Console.WriteLine($"broker + that node (submit, poll /status):      {jobs / brokered.TotalSeconds,7:F1} jobs/s");
        Console.WriteLine($"ratio broker/direct: {direct.TotalSeconds / brokered.TotalSeconds:F2} (target ≥ 0.7)");
    }

    private static HttpContent Multipart() => new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(Code)), "files", "main.py" } };

    private static async Task<TimeSpan> RunAsync(int jobs, int concurrency, Func<string, Task<JsonElement>> status, HttpClient client, Func<HttpContent> form)
    {
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = concurrency * 2 }, async (_, ct) =>
        {
            using var submit = await client.PostAsync("/submit", form(), ct);
            submit.EnsureSuccessStatusCode();
            var id = (await submit.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("job_id").GetString()!;
            while (true)
            {
                var state = (await status(id)).GetProperty("status").GetString();
                if (state is "completed")
                {
                    return;
                }

                if (state is "failed")
                {
                    throw new InvalidOperationException($"job {id} failed");
                }

                await Task.Delay(5, ct);
            }
        });
        return clock.Elapsed;
    }

    private static async Task NodeDeathAsync(string directory)
    {
        var server = Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        const int Lease = 5;
        var (broker, address) = await StartBrokerAsync(Path.Combine(directory, "death.db"), Lease);
        await using var disposeBroker = broker;
        using var client = new HttpClient { BaseAddress = address };
        using var doomed = StartWorker(server, address);
        await WaitAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/nodes")).GetProperty("nodes").GetArrayLength() == 1);
        var doomedNode = (await client.GetFromJsonAsync<JsonElement>("/nodes")).GetProperty("nodes")[0].GetProperty("node_id").GetString();
        using var submit = await client.PostAsync("/submit", new StringContent("{\"code\": \"import time\\ntime.sleep(30)\"}", Encoding.UTF8, "application/json"));
        var id = (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString();
        await WaitAsync(async () => (await client.GetFromJsonAsync<JsonElement>($"/status/{id}")).GetProperty("status").GetString() == "running");
        using var survivor = StartWorker(server, address);
        await WaitAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/nodes")).GetProperty("nodes").GetArrayLength() == 2);
        await Task.Delay(1000);
        doomed.Kill();
        var clock = Stopwatch.StartNew();
        await WaitAsync(async () => (await client.GetFromJsonAsync<JsonElement>($"/status/{id}")) is var s
            && s.GetProperty("status").GetString() == "running" && s.GetProperty("node_id").GetString() != doomedNode);
        Console.WriteLine($"node SIGKILLed → its job running on the other node: {clock.Elapsed.TotalSeconds:F1} s (lease {Lease} s; target ≤ lease + 5 s)");
        survivor.Kill();
    }

    private static Process StartWorker(string server, Uri broker)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { server, "worker", "--broker", broker.ToString(), "--slots", "1" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the broker benchmark gave up waiting");
            }

            await Task.Delay(50);
        }
    }

    private static async Task<(WebApplication App, Uri Address)> StartBrokerAsync(string database, int leaseSeconds)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandrun:Broker:Database"] = database,
            ["Sandrun:Broker:LeaseSeconds"] = leaseSeconds.ToString(CultureInfo.InvariantCulture),
        });
        builder.Services.AddSandrunBroker(builder.Configuration);
        var app = builder.Build();
        app.MapSandrunBroker();
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }

    /// <summary>One host that is both a plain Sandrun server (its own HTTP API) and a node of the broker.</summary>
    private static async Task<(WebApplication App, Uri Address)> StartNodeAsync(Uri broker, int slots)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandrun:BrokerNode:Broker"] = broker.ToString(),
            ["Sandrun:BrokerNode:Slots"] = slots.ToString(CultureInfo.InvariantCulture),
        });
        builder.Services.AddSandrun(o =>
        {
            o.Workers = slots;
            o.RateLimits.Enabled = false;
        });
        builder.Services.AddLinuxSandbox(o => o.StateDirectory = "/run/sandrun-bench-broker");
        builder.Services.AddSingleton<IResultSigner>(Ed25519Signer.Generate());
        builder.Services.AddSandrunApi();
        builder.Services.AddSandrunBrokerNode(builder.Configuration);
        var app = builder.Build();
        app.UseCors();
        app.MapSandrun();
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }
}
