using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Sandrun.Abstractions;
using Sandrun.Broker.Contracts;
using Sandrun.Receipts;

namespace Sandrun.Broker.Tests.Api;

/// <summary>
/// The broker's HTTP API on real Kestrel and a real SQLite file, driven by a node written against the protocol (a
/// real key signing real receipts): validation at submit, registration by challenge, 401 without it, fencing (409,
/// nothing changed), receipts checked against the registered key.
/// </summary>
public sealed class BrokerApiTests
{
    [Theory]
    [InlineData("{\"timeout\": \"soon\"}", "timeout")]
    [InlineData("{\"interpreter\": \"cobol\"}", "interpreter")]
    [InlineData("{\"entrypoint\": \"../etc/passwd\"}", "entrypoint")]
    [InlineData("{\"memroy_mb\": 64}", "memroy_mb")]
    public async Task A_malformed_manifest_is_refused_with_400_naming_the_field(string manifest, string field)
    {
        await using var broker = await BrokerHost.StartAsync();
        using var response = await broker.Http.PostAsync("/submit", Form(("main.py", "print(1)"u8.ToArray()), manifest));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (await Error(response)).Details, StringComparison.Ordinal);
        Assert.Equal((0L, 0L), await broker.Services.GetRequiredService<Storage.IBrokerStore>().CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_original_brokers_json_submission_is_checked_too()
    {
        await using var broker = await BrokerHost.StartAsync();
        using var unknown = await broker.Http.PostAsync("/submit", Json("{\"code\": \"print(1)\", \"interpreter\": \"fortran\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("interpreter", (await Error(unknown)).Details, StringComparison.Ordinal);

        using var badArgs = await broker.Http.PostAsync("/submit", Json("{\"code\": \"print(1)\", \"args\": [1, 2]}"));
        Assert.Equal(HttpStatusCode.BadRequest, badArgs.StatusCode);
        Assert.Contains("args", (await Error(badArgs)).Details, StringComparison.Ordinal);

        using var missing = await broker.Http.PostAsync("/submit", Json("{\"interpreter\": \"python3\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("code", (await Error(missing)).Details, StringComparison.Ordinal);

        using var ok = await broker.Http.PostAsync("/submit", Json("{\"code\": \"print(1)\", \"interpreter\": \"python3\", \"args\": [\"a\"]}"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var submitted = (await ok.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerSubmitResponse))!;
        Assert.Equal("queued", submitted.Status);
        Assert.StartsWith("job-", submitted.JobId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_upload_is_refused_with_413_and_a_hostile_archive_with_400()
    {
        await using var broker = await BrokerHost.StartAsync(new Dictionary<string, string?> { ["Sandrun:Limits:MaxUploadBytes"] = "100000" });
        using var large = await broker.Http.PostAsync("/submit", Form(("data.bin", new byte[200_000]), "{\"entrypoint\": \"data.bin\", \"interpreter\": \"python3\"}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);

        using var notMultipart = await broker.Http.PostAsync("/submit", new StringContent("hello", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, notMultipart.StatusCode);

        using var escaping = await broker.Http.PostAsync("/submit", Form(("job.tar", TarWith("../evil.py")), null));
        Assert.Equal(HttpStatusCode.BadRequest, escaping.StatusCode);
        Assert.Contains("evil.py", (await Error(escaping)).Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_that_has_not_registered_gets_401_from_claim_heartbeat_and_complete()
    {
        await using var broker = await BrokerHost.StartAsync();
        await SubmitAsync(broker);
        using var anonymous = await broker.Http.PostAsync("/claim", Json("{\"node_id\": \"node-1\"}"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var forged = new HttpRequestMessage(HttpMethod.Post, "/claim") { Content = Json("{}") };
        forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToBase64String(new byte[32]));
        using var forgedResponse = await broker.Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, forgedResponse.StatusCode);

        using var heartbeat = await broker.Http.PostAsync("/heartbeat", Json("{\"node_id\": \"node-1\"}"));
        Assert.Equal(HttpStatusCode.Unauthorized, heartbeat.StatusCode);
        using var complete = await broker.Http.PostAsync("/complete", Json("{\"node_id\": \"node-1\", \"job_id\": \"x\", \"output\": \"\"}"));
        Assert.Equal(HttpStatusCode.Unauthorized, complete.StatusCode);

        // Nothing was handed out.
        Assert.Equal((1L, 0L), await broker.Services.GetRequiredService<Storage.IBrokerStore>().CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Registration_needs_a_signature_by_the_key_the_node_names()
    {
        await using var broker = await BrokerHost.StartAsync();
        using var key = BrokerHost.NewKey();
        using var other = BrokerHost.NewKey();
        using var first = await broker.Http.PostAsJsonAsync("/register", new RegisterRequest(key.WorkerId, null, null, 1, null, null, null), BrokerJsonContext.Default.RegisterRequest);
        var challenge = (await first.Content.ReadFromJsonAsync(BrokerJsonContext.Default.RegisterChallengeResponse))!;

        using var wrong = await broker.Http.PostAsJsonAsync("/register",
            new RegisterRequest(key.WorkerId, null, null, null, challenge.NodeId, challenge.Challenge, WorkerChallenge.Answer(other, challenge.Challenge)), BrokerJsonContext.Default.RegisterRequest);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using var badKey = await broker.Http.PostAsync("/register", Json("{\"worker_id\": \"not a key\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, badKey.StatusCode);
        Assert.Contains("worker_id", (await Error(badKey)).Details, StringComparison.Ordinal);

        var (nodeId, _) = await broker.RegisterAsync(key);
        using var nodes = await broker.Http.GetAsync("/nodes");
        var listed = (await nodes.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerNodesResponse))!.Nodes;
        Assert.Equal([(nodeId, key.WorkerId!)], listed.Select(n => (n.NodeId, n.WorkerId)));
    }

    [Fact]
    public async Task A_verified_completion_is_stored_and_a_stale_one_is_refused_with_409_changing_nothing()
    {
        await using var broker = await BrokerHost.StartAsync();
        var meters = broker.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var finished = new MetricCollector<long>(meters, BrokerMetrics.MeterName, "sandrun.broker.jobs.finished");
        using var refusals = new MetricCollector<long>(meters, BrokerMetrics.MeterName, "sandrun.broker.refusals");
        using var key = BrokerHost.NewKey();
        var (_, token) = await broker.RegisterAsync(key);
        var jobId = await SubmitAsync(broker);

        using var pending = await broker.Http.GetAsync($"/results/{jobId}");
        Assert.Equal(HttpStatusCode.Accepted, pending.StatusCode);

        var job = await ClaimAsync(broker, token);
        Assert.Equal(jobId, job.JobId);
        using var input = await Send(broker, token, HttpMethod.Get, job.InputUrl.Insert(0, "/"));
        Assert.Equal("application/gzip", input.Content.Headers.ContentType?.MediaType);
        using var beat = await Send(broker, token, HttpMethod.Post, "/heartbeat", Json($"{{\"job_id\": \"{jobId}\", \"lease_token\": {job.LeaseToken}}}"));
        Assert.Equal(HttpStatusCode.OK, beat.StatusCode);
        using var staleBeat = await Send(broker, token, HttpMethod.Post, "/heartbeat", Json($"{{\"job_id\": \"{jobId}\", \"lease_token\": {job.LeaseToken + 1}}}"));
        Assert.Equal(HttpStatusCode.Conflict, staleBeat.StatusCode);

        using var stale = await CompleteAsync(broker, token, Report(key, job, job.LeaseToken + 1));
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        using var stillRunning = await broker.Http.GetAsync($"/status/{jobId}");
        Assert.Equal("running", (await stillRunning.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerStatusResponse))!.Status);

        using var done = await CompleteAsync(broker, token, Report(key, job, job.LeaseToken));
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        using var again = await CompleteAsync(broker, token, Report(key, job, job.LeaseToken));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        using var results = await broker.Http.GetAsync($"/results/{jobId}");
        var body = (await results.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerResultsResponse))!;
        Assert.Equal(("completed", 0, "hello\n", "hello\n", "warn\n"), (body.Status, body.ExitCode, body.Stdout, body.Output, body.Error));
        Assert.True(ReceiptVerifier.Verify(body.WorkerMetadata.Receipt!, body.WorkerMetadata.Signature!, key.WorkerId!));
        Assert.Equal(1, body.Attempts);

        var ended = Assert.Single(finished.GetMeasurementSnapshot());
        Assert.Equal(("completed", "none"), ((string)ended.Tags["status"]!, (string)ended.Tags["reason"]!));
        Assert.Equal(3, refusals.GetMeasurementSnapshot().Count(m => (string?)m.Tags["reason"] is "stale_lease" or "lease_lost"));
    }

    [Fact]
    public async Task A_receipt_not_signed_by_the_registered_key_or_not_naming_the_job_ends_it_failed_receipt_invalid()
    {
        await using var broker = await BrokerHost.StartAsync();
        using var key = BrokerHost.NewKey();
        using var impostor = BrokerHost.NewKey();
        var (_, token) = await broker.RegisterAsync(key);

        var first = await ClaimAsync(broker, token, await SubmitAsync(broker));
        using var forged = await CompleteAsync(broker, token, Report(impostor, first, first.LeaseToken));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forged.StatusCode);

        var second = await ClaimAsync(broker, token, await SubmitAsync(broker));
        using var otherHash = await CompleteAsync(broker, token, Report(key, second with { JobHash = new string('0', 64) }, second.LeaseToken));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherHash.StatusCode);

        foreach (var id in new[] { first.JobId, second.JobId })
        {
            using var results = await broker.Http.GetAsync($"/results/{id}");
            var body = (await results.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerResultsResponse))!;
            Assert.Equal(("failed", "receipt_invalid", ""), (body.Status, body.FailureReason, body.Stdout));
        }
    }

    private static async Task<string> SubmitAsync(BrokerHost broker)
    {
        using var response = await broker.Http.PostAsync("/submit", Form(("main.py", "print('hello')"u8.ToArray()), null));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerSubmitResponse))!.JobId;
    }

    private static async Task<ClaimedJob> ClaimAsync(BrokerHost broker, string token, string? expected = null)
    {
        using var response = await Send(broker, token, HttpMethod.Post, "/claim", Json("{\"wait\": 5}"));
        response.EnsureSuccessStatusCode();
        var job = (await response.Content.ReadFromJsonAsync(BrokerJsonContext.Default.ClaimResponse))!.Job!;
        if (expected is not null)
        {
            Assert.Equal(expected, job.JobId);
        }

        return job;
    }

    private static CompletionReport Report(IResultSigner key, ClaimedJob job, long leaseToken)
    {
        var receipt = Receipt.Create(key, new ReceiptFields(job.JobId, job.JobHash, "completed", 0, null, 0.01, 1000, 20, new Dictionary<string, string>(), DateTimeOffset.UtcNow))!;
        return new CompletionReport(job.JobId, leaseToken, "completed", 0, null, "hello\n", "warn\n", null, null, receipt.Text, receipt.Signature, null);
    }

    private static Task<HttpResponseMessage> CompleteAsync(BrokerHost broker, string token, CompletionReport report) =>
        Send(broker, token, HttpMethod.Post, "/complete", new MultipartFormDataContent { { JsonContent.Create(report, BrokerJsonContext.Default.CompletionReport), "result" } });

    private static async Task<HttpResponseMessage> Send(BrokerHost broker, string token, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await broker.Http.SendAsync(request);
    }

    private static MultipartFormDataContent Form((string Name, byte[] Data) file, string? manifest)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(file.Data), "files", file.Name } };
        if (manifest is not null)
        {
            form.Add(new StringContent(manifest), "manifest");
        }

        return form;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(string Error, string Details)> Error(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (document.RootElement.GetProperty("error").GetString()!, document.RootElement.GetProperty("details").GetString()!);
    }

    private static byte[] TarWith(string name)
    {
        var buffer = new MemoryStream();
        using (var tar = new System.Formats.Tar.TarWriter(buffer, leaveOpen: true))
        {
            tar.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream("print(1)"u8.ToArray()) });
        }

        return buffer.ToArray();
    }
}
