using System.Net;
using System.Text.Json;

namespace Sandrun.Pool.Tests;

/// <summary>A worker SIGKILLed under load (SPEC.md §7): new submissions never see a 5xx, its jobs end worker_lost, it comes back after re-proving its key.</summary>
public sealed class WorkerLossTests
{
    // Three sandbox slots per worker, so the three jobs the pool gives each run at once.
    private static readonly string[] Options = ["--Sandrun:RateLimits:MaxActiveJobs", "50", "--Sandrun:RateLimits:MaxJobsPerHour", "1000", "--Sandrun:Workers", "3"];

    [Fact]
    public async Task Killing_a_worker_under_load_loses_only_its_jobs_and_it_is_used_again_once_it_reproves_its_key()
    {
        await using var a = await WorkerProcess.StartAsync(false, Options);
        await using var b = await WorkerProcess.StartAsync(false, Options);
        await using var pool = await PoolHost.StartAsync(
            [(a.WorkerId, a.Endpoint, 3), (b.WorkerId, b.Endpoint, 3)],
            settings: new Dictionary<string, string?> { ["Sandrun:RateLimits:MaxActiveJobs"] = "50", ["Sandrun:RateLimits:MaxJobsPerHour"] = "1000" });
        await pool.WaitForWorkersAsync(true, a.Endpoint, b.Endpoint);
        var client = pool.Client;
        var sleeper = new Dictionary<string, string> { ["main.py"] = "import time\nprint('start', flush=True)\ntime.sleep(8)\nprint('end')\n" };
        var quick = new Dictionary<string, string> { ["main.py"] = "print('quick')\n" };

        // Six long jobs fill both workers (three each); wait until they all run.
        var longJobs = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            longJobs.Add(await client.SubmitOkAsync(sleeper, """{"entrypoint":"main.py"}"""));
        }

        var owners = new Dictionary<string, string>();
        foreach (var id in longJobs)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            JsonElement status;
            while ((status = await client.StatusAsync(id)).GetProperty("status").GetString() != "running")
            {
                Assert.True(DateTime.UtcNow < deadline, status.ToString());
                await Task.Delay(50);
            }

            owners[id] = status.GetProperty("pool_metadata").GetProperty("worker_id").GetString()!;
        }

        Assert.Equal(3, owners.Values.Count(o => o == a.WorkerId));

        // SIGKILL a, and keep submitting while the pool finds out: every new submission is accepted.
        a.Kill();
        var newJobs = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await client.SubmitAsync(quick, """{"entrypoint":"main.py"}""");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"submission {i} after the kill: {(int)response.StatusCode} {body}");
            newJobs.Add(JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString()!);
            await Task.Delay(50);
        }

        // a's jobs end worker_lost (never re-run elsewhere); b's and all the new ones complete.
        foreach (var id in longJobs)
        {
            var status = await client.WaitForEndAsync(id);
            if (owners[id] == a.WorkerId)
            {
                Assert.Equal("failed", status.GetProperty("status").GetString());
                Assert.Equal("worker_lost", status.GetProperty("failure_reason").GetString());
                Assert.Equal(a.WorkerId, status.GetProperty("pool_metadata").GetProperty("worker_id").GetString());
            }
            else
            {
                Assert.Equal("completed", status.GetProperty("status").GetString());
                Assert.True(status.GetProperty("pool_metadata").GetProperty("receipt_verified").GetBoolean());
            }
        }

        foreach (var id in newJobs)
        {
            var status = await client.WaitForEndAsync(id);
            Assert.True(status.GetProperty("status").GetString() == "completed", status.ToString());
            Assert.Equal(b.WorkerId, status.GetProperty("pool_metadata").GetProperty("worker_id").GetString());
        }

        var view = await pool.PoolViewAsync();
        var lost = view.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("endpoint").GetString() == a.Endpoint);
        Assert.False(lost.GetProperty("healthy").GetBoolean());
        Assert.Equal(3, lost.GetProperty("failed").GetInt64());
        Assert.Equal(0, lost.GetProperty("active_jobs").GetInt32());

        // a restarts with its key: once it has answered a challenge it gets jobs again (it has the fewest active).
        await a.RestartAsync();
        await pool.WaitForWorkersAsync(true, a.Endpoint);
        var after = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.SubmitOkAsync(sleeper, """{"entrypoint":"main.py"}""")));
        var placed = new List<string>();
        foreach (var id in after)
        {
            var status = await client.WaitForEndAsync(id);
            Assert.Equal("completed", status.GetProperty("status").GetString());
            placed.Add(status.GetProperty("pool_metadata").GetProperty("worker_id").GetString()!);
        }

        Assert.Equal(2, placed.Count(p => p == a.WorkerId));
        Assert.Equal(2, placed.Count(p => p == b.WorkerId));
    }
}
