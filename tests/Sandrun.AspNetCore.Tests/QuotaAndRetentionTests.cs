using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Sandrun.AspNetCore.Tests;

/// <summary>Per-IP quotas (429 with Retry-After), trusted proxies, retention (404 afterwards, workspace gone).</summary>
public sealed class QuotaAndRetentionTests
{
    private static readonly Dictionary<string, string> Sleepy = new() { ["main.py"] = "import time\ntime.sleep(3)\n" };
    private static readonly Dictionary<string, string> Quick = new() { ["main.py"] = "print('hi')\n" };

    [Fact]
    public async Task Active_job_quota_answers_429_with_retry_after_and_stats_explain_it()
    {
        await using var server = await TestServer.StartAsync(o => o.RateLimits.Enabled = true, "/run/sandrun-http-quota");
        var a = await server.SubmitOkAsync(Sleepy, null);
        var b = await server.SubmitOkAsync(Sleepy, null);
        using var third = await server.SubmitAsync(Quick, null);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.True(int.Parse(third.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        var body = await third.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("quota exceeded", body.GetProperty("error").GetString());
        Assert.True(body.GetProperty("retry_after").GetInt32() >= 1);

        var stats = await server.Client.GetFromJsonAsync<JsonElement>("/stats");
        var quota = stats.GetProperty("your_quota");
        Assert.Equal(2, quota.GetProperty("active_jobs").GetInt32());
        Assert.False(quota.GetProperty("can_submit").GetBoolean());
        Assert.Contains("2 jobs", quota.GetProperty("reason").GetString(), StringComparison.Ordinal);

        await server.WaitForStatusAsync(a, "completed", "failed");
        await server.WaitForStatusAsync(b, "completed", "failed");
        using var later = await server.SubmitAsync(Quick, null);
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task Cpu_quota_is_charged_per_client_and_refuses_after_the_budget()
    {
        await using var server = await TestServer.StartAsync(o => { o.RateLimits.Enabled = true; o.RateLimits.CpuSecondsPerMinute = 1; }, "/run/sandrun-http-cpu");
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.2: pass\n" }, null);
        await server.WaitForStatusAsync(id, "completed", "failed");
        using var refused = await server.SubmitAsync(Quick, null);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("CPU-seconds", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cpu_is_charged_while_a_job_runs_not_only_when_it_ends()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.RateLimits.Enabled = true;
            o.RateLimits.CpuSecondsPerMinute = 1;
            o.RateLimits.MaxActiveJobs = 5;
        }, "/run/sandrun-http-cpu-live");
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "import time\nt = time.process_time()\nwhile time.process_time() - t < 4: pass\n" }, null);
        await server.WaitForStatusAsync(id, "running");

        // The job burns 4 CPU-seconds before it ends: its first second is charged while it still runs, however busy the machine.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        JsonElement stats;
        while ((stats = await server.Client.GetFromJsonAsync<JsonElement>("/stats")).GetProperty("your_quota").GetProperty("used").GetDouble() < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, stats.ToString());
            Assert.Equal("running", (await server.Client.GetFromJsonAsync<JsonElement>($"/status/{id}")).GetProperty("status").GetString());
            await Task.Delay(200);
        }

        using var refused = await server.SubmitAsync(Quick, null);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var running = await server.Client.GetFromJsonAsync<JsonElement>($"/status/{id}");
        Assert.Equal("running", running.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Trusted_proxy_forwarded_addresses_are_separate_clients()
    {
        // The SPEC.md §0 key, now read by the HTTP layer (AddSandrunApi) rather than the engine.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Sandrun:RateLimits:TrustedProxies:0"] = "127.0.0.1" }).Build();
        await using var server = await TestServer.StartAsync(
            o =>
            {
                o.RateLimits.Enabled = true;
                o.RateLimits.MaxActiveJobs = 1;
            },
            "/run/sandrun-http-proxy",
            s => s.AddSandrunApi(configuration));
        foreach (var client in new[] { "203.0.113.1", "203.0.113.2" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/submit") { Content = Form(Sleepy) };
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var again = new HttpRequestMessage(HttpMethod.Post, "/submit") { Content = Form(Quick) };
        again.Headers.Add("X-Forwarded-For", "203.0.113.1");
        using var refused = await server.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
    }

    [Fact]
    public async Task Finished_jobs_are_deleted_after_retention_and_answer_404()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Retention.AfterCompletion = TimeSpan.FromSeconds(1);
            o.Retention.AfterFailure = TimeSpan.FromSeconds(1);
        }, "/run/sandrun-http-retention");
        var ok = await server.SubmitOkAsync(Quick, null);
        var failed = await server.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "raise SystemExit(2)\n" }, null);
        await server.WaitForStatusAsync(ok, "completed");
        await server.WaitForStatusAsync(failed, "failed");
        Assert.True(Directory.Exists(server.WorkspaceOf(ok)));
        Assert.True(server.IsMounted(ok));
        await Task.Delay(2500);
        foreach (var id in new[] { ok, failed })
        {
            using var status = await server.Client.GetAsync($"/status/{id}");
            Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
            using var logs = await server.Client.GetAsync($"/logs/{id}");
            Assert.Equal(HttpStatusCode.NotFound, logs.StatusCode);
            Assert.False(Directory.Exists(server.WorkspaceOf(id)));
            Assert.False(server.IsMounted(id));
        }
    }

    private static MultipartFormDataContent Form(Dictionary<string, string> files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, content) in files)
        {
            form.Add(new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(content)), "files", name);
        }

        return form;
    }
}
