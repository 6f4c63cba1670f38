using System.Net.Http.Json;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests;

/// <summary>500 jobs through HTTP from 50 concurrent clients: every one completes, no 5xx anywhere.</summary>
public sealed class LoadTests
{
    [Fact]
    public async Task Five_hundred_jobs_from_fifty_concurrent_clients_all_complete_without_5xx()
    {
        await using var server = await TestServer.StartAsync(o => o.QueueCapacity = 1000, "/run/sandrun-http-load");
        var serverErrors = 0;
        var completed = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForAsync(0, 500, new ParallelOptions { MaxDegreeOfParallelism = 50 }, async (i, ct) =>
        {
            var files = new Dictionary<string, string> { ["main.py"] = $"print({i} * 2)\n" };
            using var response = await server.SubmitAsync(files, null, asTarball: i % 2 == 0);
            if ((int)response.StatusCode >= 500)
            {
                Interlocked.Increment(ref serverErrors);
                return;
            }

            var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            if (!response.IsSuccessStatusCode)
            {
                failures.Add(body.ToString());
                return;
            }

            var id = body.GetProperty("job_id").GetString()!;
            while (true)
            {
                using var poll = await server.Client.GetAsync($"/status/{id}", ct);
                if ((int)poll.StatusCode >= 500)
                {
                    Interlocked.Increment(ref serverErrors);
                    return;
                }

                var status = (await poll.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString();
                if (status == "completed")
                {
                    var logs = await server.Client.GetStringAsync($"/logs/{id}?format=text", ct);
                    if (logs == $"{i * 2}\n")
                    {
                        Interlocked.Increment(ref completed);
                    }
                    else
                    {
                        failures.Add($"{id}: wrong output '{logs}'");
                    }

                    return;
                }

                if (status == "failed")
                {
                    failures.Add($"{id}: failed");
                    return;
                }

                await Task.Delay(50, ct);
            }
        });

        Assert.Equal(0, serverErrors);
        Assert.Empty(failures);
        Assert.Equal(500, completed);
    }
}
