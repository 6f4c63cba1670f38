using System.Globalization;
using System.Text.Json.Nodes;
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
/// A worker that proves its key but reports results its receipt does not back (a test double of a dishonest worker):
/// the pool never reports such a job completed (SPEC.md §7).
/// </summary>
public sealed class ReceiptTamperTests
{
    [Theory]
    [InlineData("edited-after-signing")]
    [InlineData("receipt-of-another-job")]
    [InlineData("status-disagrees-with-receipt")]
    public async Task A_receipt_that_does_not_back_the_status_makes_the_job_failed_receipt_invalid(string tampering)
    {
        using var key = Ed25519Signer.Generate();
        var (worker, endpoint) = await StartDishonestWorkerAsync(key, tampering);
        await using (worker)
        {
            await using var pool = await PoolHost.StartAsync([(key.WorkerId!, endpoint, 2)]);
            await pool.WaitForWorkersAsync(true, endpoint);

            var id = await pool.Client.SubmitOkAsync(new Dictionary<string, string> { ["main.py"] = "print(1)\n" }, """{"entrypoint":"main.py"}""");
            var status = await pool.Client.WaitForEndAsync(id);
            Assert.Equal("failed", status.GetProperty("status").GetString());
            Assert.Equal("receipt_invalid", status.GetProperty("failure_reason").GetString());
            Assert.False(status.GetProperty("pool_metadata").GetProperty("receipt_verified").GetBoolean());

            // The dishonest worker gets no more jobs.
            var view = await pool.PoolViewAsync();
            var listed = view.GetProperty("workers").EnumerateArray().Single();
            Assert.False(listed.GetProperty("verified").GetBoolean());
            Assert.Contains("did not verify", listed.GetProperty("last_error").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, listed.GetProperty("failed").GetInt64());

            // Its output is not served through the pool either.
            using var logs = await pool.Client.Http.GetAsync($"/logs/{id}");
            Assert.Equal(System.Net.HttpStatusCode.BadGateway, logs.StatusCode);
            using var outputs = await pool.Client.Http.GetAsync($"/outputs/{id}");
            Assert.Equal(System.Net.HttpStatusCode.BadGateway, outputs.StatusCode);
        }
    }

    /// <summary>Answers the identity challenge honestly; /submit accepts; /status reports "completed" with a bad receipt.</summary>
    private static async Task<(WebApplication App, string Endpoint)> StartDishonestWorkerAsync(Ed25519Signer key, string tampering)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
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
            await context.Request.Body.CopyToAsync(Stream.Null);
            return Results.Json(new { job_id = "job-double1", status = "queued", position = 0 });
        });
        app.MapGet("/status/{jobId}", (string jobId) =>
        {
            var receipt = Receipt.Create(key, new ReceiptFields(
                tampering == "receipt-of-another-job" ? "job-someotherjob" : jobId, new string('a', 64), "completed", 0, null, 0.5, 1_000_000, 120,
                new Dictionary<string, string>(), DateTimeOffset.UtcNow))!;
            var text = tampering == "edited-after-signing" ? receipt.Text.Replace("\"cpu_seconds\":0.5", "\"cpu_seconds\":0.25", StringComparison.Ordinal) : receipt.Text;
            var cpu = tampering == "edited-after-signing" ? 0.25 : 0.5;
            var exit = tampering == "status-disagrees-with-receipt" ? 3 : 0;
            Assert.Equal(tampering != "edited-after-signing", ReceiptVerifier.Verify(text, receipt.Signature, key.WorkerId!));
            var status = new JsonObject
            {
                ["job_id"] = jobId, ["status"] = "completed", ["queue_position"] = 0, ["failure_reason"] = null,
                ["execution_metadata"] = new JsonObject
                {
                    ["cpu_seconds"] = cpu, ["memory_peak_bytes"] = 1_000_000, ["wall_time_ms"] = 120, ["exit_code"] = exit,
                    ["signal"] = null, ["environment"] = null, ["interpreter"] = "python3",
                },
                ["job_hash"] = new string('a', 64), ["output_files"] = new JsonObject(),
                ["worker_metadata"] = new JsonObject { ["worker_id"] = key.WorkerId, ["algorithm"] = "Ed25519", ["receipt"] = text, ["signature"] = receipt.Signature },
                ["error"] = null, ["notes"] = new JsonArray(),
            };
            return Results.Text(status.ToJsonString(), "application/json");
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, url.ToString(CultureInfo.InvariantCulture));
    }
}
