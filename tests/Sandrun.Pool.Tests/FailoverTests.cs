using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.AspNetCore;
using Sandrun.Receipts;

namespace Sandrun.Pool.Tests;

/// <summary>
/// Submit failover (SPEC.md §7): verified workers that refuse (503, 429) or drop the connection are skipped for the
/// next, each getting the same spooled upload byte for byte; FIFO queueing when every worker is full.
/// </summary>
public sealed class FailoverTests
{
    [Fact]
    public async Task Refusing_and_unreachable_workers_are_skipped_with_the_same_upload_until_one_takes_it()
    {
        await using var real = await WorkerProcess.StartAsync();
        await using var busy = await RefusingWorker.StartAsync(context => Results.Json(new { error = "queue full", details = "1000 jobs waiting" }, statusCode: 503));
        await using var limited = await RefusingWorker.StartAsync(context => Results.Json(new { error = "quota exceeded", details = "limit", retry_after = 5 }, statusCode: 429));
        await using var dropping = await RefusingWorker.StartAsync(context =>
        {
            context.Abort();
            return Results.Empty;
        });

        // Listed first, so placement (fewest active jobs, then list order) tries them before the real worker.
        await using var pool = await PoolHost.StartAsync([(busy.WorkerId, busy.Endpoint, 2), (limited.WorkerId, limited.Endpoint, 2), (dropping.WorkerId, dropping.Endpoint, 2), (real.WorkerId, real.Endpoint, 2)]);
        await pool.WaitForWorkersAsync(true, busy.Endpoint, limited.Endpoint, dropping.Endpoint, real.Endpoint);

        var files = new Dictionary<string, string> { ["main.py"] = "print('made it')\n", ["data.txt"] = new string('x', 200_000) };
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(PoolClient.TarGz(files)), "files", "job.tar.gz" },
            { new StringContent("""{"entrypoint":"main.py"}"""), "manifest" },
        };
        var sent = await form.ReadAsByteArrayAsync();
        using var response = await pool.Client.Http.PostAsync("/submit", form);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var id = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("job_id").GetString()!;
        var status = await pool.Client.WaitForEndAsync(id);
        Assert.Equal("completed", status.GetProperty("status").GetString());
        Assert.Equal(real.WorkerId, status.GetProperty("pool_metadata").GetProperty("worker_id").GetString());
        Assert.Equal("made it\n", await pool.Client.Http.GetStringAsync($"/logs/{id}?format=text"));

        // Each refusing worker was offered the whole upload as the client sent it.
        Assert.Equal(sent, busy.LastUpload);
        Assert.Equal(sent, limited.LastUpload);
        Assert.Equal(sent.Length, dropping.LastUpload?.Length);

        // No refused attempt keeps a slot taken.
        var view = await pool.PoolViewAsync();
        Assert.All(view.GetProperty("workers").EnumerateArray(), w => Assert.Equal(0, w.GetProperty("active_jobs").GetInt32()));
    }

    [Fact]
    public async Task When_every_worker_is_full_jobs_wait_in_order_with_their_queue_position()
    {
        await using var worker = await WorkerProcess.StartAsync();
        await using var pool = await PoolHost.StartAsync([(worker.WorkerId, worker.Endpoint, 1)], settings: new Dictionary<string, string?> { ["Sandrun:RateLimits:MaxActiveJobs"] = "5" });
        await pool.WaitForWorkersAsync(true, worker.Endpoint);
        var sleeper = new Dictionary<string, string> { ["main.py"] = "import time\ntime.sleep(2)\n" };
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await pool.Client.SubmitOkAsync(sleeper, """{"entrypoint":"main.py"}"""));
        }

        for (var i = 1; i < 4; i++)
        {
            var queued = await pool.Client.StatusAsync(ids[i]);
            Assert.Equal("queued", queued.GetProperty("status").GetString());
            Assert.Equal(i, queued.GetProperty("queue_position").GetInt32());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, queued.GetProperty("pool_metadata").GetProperty("dispatched_at").ValueKind);
        }

        var dispatched = new List<DateTimeOffset>();
        foreach (var id in ids)
        {
            var status = await pool.Client.WaitForEndAsync(id);
            Assert.Equal("completed", status.GetProperty("status").GetString());
            dispatched.Add(DateTimeOffset.Parse(status.GetProperty("pool_metadata").GetProperty("dispatched_at").GetString()!, CultureInfo.InvariantCulture));
        }

        Assert.Equal(dispatched.Order(), dispatched);
    }

    /// <summary>A verified worker (it answers the challenge with its key) whose /submit answers as <c>refuse</c> says.</summary>
    private sealed class RefusingWorker : IAsyncDisposable
    {
        private readonly WebApplication app;
        private readonly Ed25519Signer key;

        private RefusingWorker(WebApplication app, Ed25519Signer key, string endpoint)
        {
            this.app = app;
            this.key = key;
            Endpoint = endpoint;
        }

        public string WorkerId => key.WorkerId!;

        public string Endpoint { get; }

        public byte[]? LastUpload { get; private set; }

        public static async Task<RefusingWorker> StartAsync(Func<HttpContext, IResult> refuse)
        {
            var key = Ed25519Signer.Generate();
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            RefusingWorker? self = null;
            app.MapGet("/health", (HttpContext context) =>
            {
                if (WorkerChallenge.Answer(key, context.Request.Headers[SandrunChallengeHeaders.Challenge].ToString()) is { } answer)
                {
                    context.Response.Headers[SandrunChallengeHeaders.Signature] = answer;
                }

                return Results.Json(new { status = "healthy", worker_id = key.WorkerId });
            });
            app.MapPost("/submit", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                self!.LastUpload = body.ToArray();
                return refuse(context);
            });
            await app.StartAsync();
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            self = new RefusingWorker(app, key, url);
            return self;
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
            key.Dispose();
        }
    }
}
