using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sandrun.Jobs;
using Sandrun.Linux;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// OverlapSetup, on by default, with the real sandbox: the next job's sandbox is set up while the program ahead of it
/// runs, yet clients see it queued in its place until its program starts, its wall timeout starts with its program,
/// and deleting it while it waits set up leaves nothing behind.
/// </summary>
public sealed class OverlapSetupTests
{
    private static readonly Dictionary<string, string> Sleepy = new() { ["main.py"] = "import time\ntime.sleep(3)\n" };

    [Fact]
    public async Task A_job_set_up_ahead_shows_queued_and_its_wall_timeout_starts_with_its_program()
    {
        await using var server = await TestServer.StartAsync(o => o.Workers = 1, "/run/sandrun-http-overlap");
        Assert.True(server.Services.GetRequiredService<IOptions<SandrunOptions>>().Value.OverlapSetup);
        var ahead = await server.SubmitOkAsync(Sleepy, null);
        await server.WaitForStatusAsync(ahead, "running");

        // Its timeout (2 s) is shorter than the run ahead of it (3 s) plus its own (1 s): counted from setup, it would time out.
        var next = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import time\ntime.sleep(1)\nprint('done')\n" },
            """{"entrypoint": "main.py", "timeout": 2}""");
        await WaitForPreparedAsync(server, 1);
        var waiting = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{next}");
        Assert.Equal("queued", waiting.GetProperty("status").GetString());
        Assert.Equal(1, waiting.GetProperty("queue_position").GetInt32());
        Assert.Equal(1, server.Services.GetRequiredService<JobEngine>().QueueLength);
        Assert.Equal("running", (await server.Client.GetFromJsonAsync<JsonElement>($"/status/{ahead}")).GetProperty("status").GetString());

        var done = await server.WaitForStatusAsync(next, "completed", "failed");
        Assert.Equal("completed", done.GetProperty("status").GetString());
        Assert.Equal("done\n", await server.Client.GetStringAsync($"/logs/{next}?format=text"));
        Assert.Equal("completed", (await server.WaitForStatusAsync(ahead, "completed", "failed")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Deleting_a_job_set_up_ahead_kills_its_sandbox_before_anything_ran()
    {
        await using var server = await TestServer.StartAsync(o => o.Workers = 1, "/run/sandrun-http-overlap");
        var engine = server.Services.GetRequiredService<JobEngine>();
        var ahead = await server.SubmitOkAsync(Sleepy, null);
        await server.WaitForStatusAsync(ahead, "running");
        var next = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "print('must not run')\n" }, null);
        await WaitForPreparedAsync(server, 1);
        Assert.True(server.IsMounted(next));

        Assert.True(engine.Delete(next));
        Assert.True(engine.TryGet(ahead, out var running));
        Assert.Equal(JobStatus.Running, running.Status);
        await WaitForPreparedAsync(server, 0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (server.IsMounted(next) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.False(server.IsMounted(next));
        Assert.Equal(0, engine.QueueLength);
        Assert.Equal("completed", (await server.WaitForStatusAsync(ahead, "completed", "failed")).GetProperty("status").GetString());
        Assert.Equal("completed", (await server.WaitForStatusAsync(await server.SubmitOkAsync(Sleepy, null), "completed", "failed")).GetProperty("status").GetString());
    }

    /// <summary>
    /// Waits until <paramref name="count"/> sandboxes wait set up: children that took a job's host uids but have not
    /// executed anything yet (they still run this process's image, so their command line is ours).
    /// </summary>
    private static async Task WaitForPreparedAsync(TestServer server, int count)
    {
        var hostIdBase = server.Services.GetRequiredService<IOptions<LinuxSandboxOptions>>().Value.HostIdBase;
        var ours = await File.ReadAllTextAsync("/proc/self/cmdline");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        int found;
        while ((found = Prepared(hostIdBase, ours)) != count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(count, found);
    }

    private static int Prepared(uint hostIdBase, string cmdline)
    {
        var count = 0;
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            try
            {
                var status = File.ReadAllLines(Path.Combine(dir, "status"));
                var uid = status.First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
                var zombie = status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
                if (!zombie && uint.TryParse(uid, CultureInfo.InvariantCulture, out var u) && u >= hostIdBase && u - hostIdBase < (1u << 24)
                    && File.ReadAllText(Path.Combine(dir, "cmdline")) == cmdline)
                {
                    count++;
                }
            }
            catch (IOException)
            {
            }
        }

        return count;
    }
}
