using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sandrun.Receipts;

namespace Sandrun.Pool.Tests;

/// <summary>
/// Identity (SPEC.md §7) through the sample server's <c>pool</c> verb: an impostor (another key at a listed endpoint)
/// and an anonymous worker never get jobs and show <c>verified: false</c>; the banner lists each worker's state.
/// </summary>
public sealed class IdentityTests
{
    [Fact]
    public async Task The_pool_verb_gives_jobs_only_to_workers_that_prove_their_listed_key()
    {
        await using var real = await WorkerProcess.StartAsync();
        await using var impostor = await WorkerProcess.StartAsync();
        await using var anonymous = await WorkerProcess.StartAsync(anonymous: true);
        using var listedForImpostor = Ed25519Signer.Generate();
        var directory = Directory.CreateTempSubdirectory("sandrun-pool-verb-").FullName;
        try
        {
            var file = Path.Combine(directory, "workers.json");
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new object[]
            {
                new { worker_id = listedForImpostor.WorkerId, endpoint = impostor.Endpoint, max_concurrent_jobs = 4 },
                new { worker_id = anonymous.WorkerId, endpoint = anonymous.Endpoint, max_concurrent_jobs = 4 },
                new { worker_id = real.WorkerId, endpoint = real.Endpoint, max_concurrent_jobs = 4 },
            }));
            var port = FreePort();
            using var pool = Process.Start(new ProcessStartInfo("dotnet",
            [
                "exec", Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll"), "pool", "--port", port.ToString(CultureInfo.InvariantCulture), "--workers", file,
                "--Sandrun:Pool:HealthCheckInterval", "00:00:00.500", "--Sandrun:RateLimits:MaxActiveJobs", "10", "--Logging:LogLevel:Default", "Warning",
            ]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            try
            {
                var banner = new StringBuilder();
                while (await pool.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
                {
                    banner.AppendLine(line);
                    if (banner.ToString().Split('\n').Count(l => l.StartsWith("  http://", StringComparison.Ordinal)) == 3)
                    {
                        break;
                    }
                }

                var lines = banner.ToString().Split('\n');
                Assert.Contains(lines, l => l.StartsWith("listening on http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
                Assert.Contains("pool of 3 workers:", lines.Select(l => l.TrimEnd()));
                Assert.Contains("NOT verified", lines.Single(l => l.Contains(impostor.Endpoint, StringComparison.Ordinal)), StringComparison.Ordinal);
                Assert.Contains("does not verify", lines.Single(l => l.Contains(impostor.Endpoint, StringComparison.Ordinal)), StringComparison.Ordinal);
                Assert.Contains("NOT verified", lines.Single(l => l.Contains(anonymous.Endpoint, StringComparison.Ordinal)), StringComparison.Ordinal);
                Assert.Contains("did not answer the identity challenge", lines.Single(l => l.Contains(anonymous.Endpoint, StringComparison.Ordinal)), StringComparison.Ordinal);
                Assert.Contains("verified, healthy", lines.Single(l => l.Contains(real.Endpoint, StringComparison.Ordinal)), StringComparison.Ordinal);

                using var client = PoolClient.From("127.0.0.1", new Uri($"http://127.0.0.1:{port}"));
                var ids = new List<string>();
                for (var i = 0; i < 8; i++)
                {
                    ids.Add(await client.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "print('hi')\n" }, """{"entrypoint":"main.py"}"""));
                }

                foreach (var id in ids)
                {
                    var status = await client.WaitForEndAsync(id);
                    Assert.Equal("completed", status.GetProperty("status").GetString());
                    Assert.Equal(real.WorkerId, status.GetProperty("pool_metadata").GetProperty("worker_id").GetString());
                }

                var view = await client.Http.GetFromJsonAsync<JsonElement>("/pool");
                foreach (var worker in view.GetProperty("workers").EnumerateArray())
                {
                    var isReal = worker.GetProperty("endpoint").GetString() == real.Endpoint;
                    Assert.Equal(isReal, worker.GetProperty("verified").GetBoolean());
                    Assert.Equal(isReal ? 8 : 0, worker.GetProperty("completed").GetInt64());
                    Assert.Equal(0, worker.GetProperty("active_jobs").GetInt32());
                }

                Assert.Equal(3, view.GetProperty("total_workers").GetInt32());
                Assert.Equal(1, view.GetProperty("healthy_workers").GetInt32());
            }
            finally
            {
                // SIGTERM, as an operator stops it: the pool shuts down and removes its upload spool.
                using (var term = Process.Start("kill", ["-TERM", pool.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }

                try
                {
                    await pool.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                }
                finally
                {
                    if (!pool.HasExited)
                    {
                        pool.Kill();
                    }
                }

                Assert.False(Directory.Exists($"/dev/shm/sandrun-pool-{pool.Id}"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
