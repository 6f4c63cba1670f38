using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandrun.Pool.Tests;

/// <summary>Three real workers with generated keys behind one pool (SPEC.md §7): placement, queueing, verified receipts.</summary>
public sealed class PoolTests
{
    private static readonly string[] RoomyQuotas = ["--Sandrun:RateLimits:MaxActiveJobs", "20", "--Sandrun:RateLimits:MaxJobsPerHour", "1000"];

    [Fact]
    public async Task Sixty_jobs_from_ten_clients_complete_spread_within_limits_with_receipts_that_node_verifies()
    {
        await using var w1 = await WorkerProcess.StartAsync(false, RoomyQuotas);
        await using var w2 = await WorkerProcess.StartAsync(false, RoomyQuotas);
        await using var w3 = await WorkerProcess.StartAsync(false, RoomyQuotas);
        WorkerProcess[] workers = [w1, w2, w3];
        await using var pool = await PoolHost.StartAsync(
            workers.Select(w => (w.WorkerId, w.Endpoint, 2)),
            settings: new Dictionary<string, string?> { ["Sandrun:RateLimits:MaxActiveJobs"] = "6", ["Sandrun:RateLimits:MaxJobsPerHour"] = "100" });
        await pool.WaitForWorkersAsync(true, [.. workers.Select(w => w.Endpoint)]);

        // Watch /pool while the jobs run: no worker ever holds more than its limit; the pool queues the rest.
        using var watching = new CancellationTokenSource();
        var samples = new ConcurrentBag<JsonElement>();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                samples.Add(await pool.PoolViewAsync());
                await Task.Delay(25);
            }
        });

        var clients = Enumerable.Range(10, 10).Select(i => PoolClient.From($"127.0.0.{i}", pool.Address)).ToList();
        try
        {
            var jobs = await Task.WhenAll(clients.SelectMany((client, c) => Enumerable.Range(0, 6).Select(async n =>
            {
                var token = string.Create(CultureInfo.InvariantCulture, $"client{c}-job{n}");
                var id = await client.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = $"print('{token}')\n" }, """{"entrypoint":"main.py"}""");
                return (Client: client, Id: id, Token: token);
            })));

            var finals = new List<JsonElement>();
            foreach (var (client, id, token) in jobs)
            {
                var status = await client.WaitForEndAsync(id);
                Assert.True(status.GetProperty("status").GetString() == "completed", status.ToString());
                Assert.Equal(id, status.GetProperty("job_id").GetString());
                var meta = status.GetProperty("pool_metadata");
                Assert.True(meta.GetProperty("receipt_verified").GetBoolean());
                Assert.Contains(meta.GetProperty("worker_id").GetString(), workers.Select(w => w.WorkerId));
                Assert.Equal(token + "\n", await client.Http.GetStringAsync($"/logs/{id}?format=text"));
                finals.Add(status);
            }

            await watching.CancelAsync();
            await watcher;

            // Spread over all three, each within its limit at every moment; jobs waited in the pool's queue.
            foreach (var sample in samples)
            {
                foreach (var worker in sample.GetProperty("workers").EnumerateArray())
                {
                    Assert.True(worker.GetProperty("active_jobs").GetInt32() <= worker.GetProperty("max_concurrent_jobs").GetInt32(), worker.ToString());
                }
            }

            Assert.Contains(samples, s => s.GetProperty("queued").GetInt32() > 0);
            var view = await pool.PoolViewAsync();
            var completed = view.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("completed").GetInt64()).ToList();
            Assert.Equal(60, completed.Sum());
            Assert.All(completed, c => Assert.True(c >= 5, $"uneven spread: {string.Join(", ", completed)}"));
            Assert.All(finals.GroupBy(f => f.GetProperty("pool_metadata").GetProperty("worker_id").GetString()), g => Assert.True(g.Any()));

            // Every receipt verifies with an independent implementation, against the listed key, for the worker's job id.
            var receipts = new JsonArray([.. finals.Select(f => (JsonNode)new JsonObject
            {
                ["receipt"] = f.GetProperty("worker_metadata").GetProperty("receipt").GetString(),
                ["signature"] = f.GetProperty("worker_metadata").GetProperty("signature").GetString(),
                ["key"] = f.GetProperty("pool_metadata").GetProperty("worker_id").GetString(),
                ["worker_job_id"] = f.GetProperty("pool_metadata").GetProperty("worker_job_id").GetString(),
            })]);
            Assert.Equal("60", await Node.RunAsync("""
                const crypto = require('crypto');
                const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));
                let ok = 0;
                for (const { receipt, signature, key, worker_job_id } of items) {
                  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key, 'base64')]);
                  const pub = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
                  const r = JSON.parse(receipt);
                  if (crypto.verify(null, Buffer.from(receipt, 'utf8'), pub, Buffer.from(signature, 'base64')) && r.worker_id === key && r.job_id === worker_job_id && r.status === 'completed') ok++;
                }
                console.log(ok);
                """, receipts.ToJsonString()));
        }
        finally
        {
            await watching.CancelAsync();
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task Per_client_quotas_hold_at_the_pool_and_workers_count_each_client_on_its_own()
    {
        await using var worker = await WorkerProcess.StartAsync();
        await using var pool = await PoolHost.StartAsync([(worker.WorkerId, worker.Endpoint, 8)]);
        await pool.WaitForWorkersAsync(true, worker.Endpoint);
        using var alice = PoolClient.From("127.0.0.2", pool.Address);
        using var bob = PoolClient.From("127.0.0.3", pool.Address);
        var sleeper = new Dictionary<string, string> { ["main.py"] = "import time\ntime.sleep(4)\n" };

        // SPEC.md §0 defaults: 2 active jobs per client. Alice's third is refused; Bob's quota is his own.
        var aliceJobs = new[] { await alice.SubmitOkAsync(sleeper, """{"entrypoint":"main.py"}"""), await alice.SubmitOkAsync(sleeper, """{"entrypoint":"main.py"}""") };
        using (var third = await alice.SubmitAsync(sleeper, """{"entrypoint":"main.py"}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.NotNull(third.Headers.RetryAfter);
            Assert.True(JsonDocument.Parse(await third.Content.ReadAsStringAsync()).RootElement.GetProperty("retry_after").GetInt64() >= 1);
        }

        var bobJobs = new[] { await bob.SubmitOkAsync(sleeper, """{"entrypoint":"main.py"}"""), await bob.SubmitOkAsync(sleeper, """{"entrypoint":"main.py"}""") };
        var aliceStats = await alice.Http.GetFromJsonAsync<JsonElement>("/stats");
        Assert.Equal(2, aliceStats.GetProperty("your_quota").GetProperty("active_jobs").GetInt32());
        Assert.False(aliceStats.GetProperty("your_quota").GetProperty("can_submit").GetBoolean());

        // The worker, trusting the pool's X-Forwarded-For, charged each client separately — not the pool's own address.
        using var direct = PoolClient.From("127.0.0.1", new Uri(worker.Endpoint));
        foreach (var (client, expected) in new[] { ("127.0.0.2", 2), ("127.0.0.3", 2), ("127.0.0.1", 0) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/stats");
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await direct.Http.SendAsync(request);
            var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(expected, stats.GetProperty("your_quota").GetProperty("active_jobs").GetInt32());
        }

        foreach (var id in aliceJobs)
        {
            Assert.Equal("completed", (await alice.WaitForEndAsync(id)).GetProperty("status").GetString());
        }

        foreach (var id in bobJobs)
        {
            Assert.Equal("completed", (await bob.WaitForEndAsync(id)).GetProperty("status").GetString());
        }

        // Ended jobs give the quota back.
        Assert.True((await alice.Http.GetFromJsonAsync<JsonElement>("/stats")).GetProperty("your_quota").GetProperty("can_submit").GetBoolean());
    }
}
