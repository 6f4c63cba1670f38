using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sandrun.Cli.Tests;

/// <summary><c>status</c>, <c>logs [-f]</c>, <c>outputs</c>, <c>download</c> and <c>verify</c> against a real server.</summary>
public sealed class JobCommandTests(CliServer server) : IClassFixture<CliServer>, IDisposable
{
    private const string Program = """
        import sys, time, os
        print('early', flush=True)
        print('warn', file=sys.stderr, flush=True)
        time.sleep(2)
        os.makedirs('out', exist_ok=True)
        open('out/a.txt', 'w').write('alpha\n')
        open('b.txt', 'w').write('beta\n')
        print('late', flush=True)
        sys.exit(5)
        """;

    private readonly string work = Directory.CreateTempSubdirectory("sandrun-cli-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public async Task Logs_follow_a_running_job_to_its_end_and_exit_as_it_did()
    {
        var jobId = await server.SubmitAsync("main.py", Program);
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["logs", "-f", jobId], server: server.Url);
        Assert.Equal(5, exit);
        Assert.Equal("early\nlate\n", stdout);
        Assert.Equal("warn\n", stderr);

        var again = await CliProcess.RunAsync(["logs", jobId], server: server.Url);
        Assert.Equal(0, again.Exit);
        Assert.Equal("early\nlate\n", again.Stdout);
        Assert.Equal("warn\n", again.Stderr);
    }

    [Fact]
    public async Task Status_outputs_and_download_of_one_file()
    {
        var jobId = await FinishedJobAsync();
        var status = await CliProcess.RunAsync(["status", jobId, "--json"], server: server.Url);
        Assert.Equal(0, status.Exit);
        var document = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal(jobId, document.GetProperty("job_id").GetString());
        Assert.Equal("exit_code", document.GetProperty("failure_reason").GetString());

        var human = await CliProcess.RunAsync(["status", jobId], server: server.Url);
        Assert.Contains($"{jobId} failed (exit_code) · exit 5", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("receipt: signed by worker " + server.Signer.WorkerId, human.Stdout, StringComparison.Ordinal);

        var outputs = await CliProcess.RunAsync(["outputs", jobId], server: server.Url);
        Assert.Equal(0, outputs.Exit);
        Assert.Contains("out/a.txt", outputs.Stdout, StringComparison.Ordinal);
        Assert.Contains("b.txt", outputs.Stdout, StringComparison.Ordinal);
        Assert.Contains("2 output files", outputs.Stdout, StringComparison.Ordinal);

        var one = await CliProcess.RunAsync(["download", jobId, "out/a.txt", "-o", work], server: server.Url);
        Assert.True(one.Exit == 0, one.Stderr);
        Assert.Equal("alpha\n", File.ReadAllText(Path.Combine(work, "a.txt")));

        // Never over an existing file, never outside the directory.
        var again = await CliProcess.RunAsync(["download", jobId, "out/a.txt", "-o", work], server: server.Url);
        Assert.Equal(2, again.Exit);
        Assert.Contains("never overwritten", again.Stderr, StringComparison.Ordinal);
        var climb = await CliProcess.RunAsync(["download", jobId, "../b.txt", "-o", work], server: server.Url);
        Assert.Equal(2, climb.Exit);
        Assert.Contains("not a relative path inside the job", climb.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_jobs_are_named_with_exit_2()
    {
        foreach (var verb in new[] { "status", "logs", "outputs", "verify" })
        {
            var (exit, _, stderr) = await CliProcess.RunAsync([verb, "job-doesnotexist"], server: server.Url);
            Assert.Equal(2, exit);
            Assert.Contains("job-doesnotexist", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Verify_accepts_the_workers_receipt_and_names_the_expected_key()
    {
        var jobId = await FinishedJobAsync();
        var valid = await CliProcess.RunAsync(["verify", jobId, "--worker-id", server.Signer.WorkerId!], server: server.Url);
        Assert.True(valid.Exit == 0, valid.Stderr);
        Assert.StartsWith($"valid: {jobId} failed, exit 5, signed by worker {server.Signer.WorkerId}", valid.Stdout, StringComparison.Ordinal);

        using var other = Sandrun.Receipts.Ed25519Signer.Generate();
        var wrongKey = await CliProcess.RunAsync(["verify", jobId, "--worker-id", other.WorkerId!], server: server.Url);
        Assert.Equal(1, wrongKey.Exit);
        Assert.Contains("not by the expected worker", wrongKey.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "completed", "the server reports status 'completed' but the receipt signs 'failed'")]
    [InlineData("failure_reason", null, "the server reports failure_reason '' but the receipt signs 'exit_code'")]
    [InlineData("receipt_exit", 0, "the receipt signs 5")]
    [InlineData("signature", "tampered", "the signature does not match")]
    public async Task Verify_refuses_a_status_that_is_not_the_one_signed(string field, object? value, string message)
    {
        // A genuine signed status from the real server, altered by a lying intermediary (served by a second Kestrel).
        var jobId = await FinishedJobAsync();
        var forged = JsonNode.Parse(await server.Http.GetStringAsync($"/status/{jobId}"))!.AsObject();
        switch (field)
        {
            case "receipt_exit":
                forged["execution_metadata"]!["exit_code"] = JsonValue.Create((int)value!);
                break;
            case "signature":
                var receipt = forged["worker_metadata"]!["receipt"]!.GetValue<string>();
                forged["worker_metadata"]!["receipt"] = JsonValue.Create(receipt.Replace("\"exit_code\":5", "\"exit_code\":0", StringComparison.Ordinal));
                break;
            default:
                forged[field] = value is null ? null : JsonValue.Create((string)value);
                break;
        }

        await using var liar = await ForgedStatusServerAsync(jobId, forged.ToJsonString());
        var (exit, _, stderr) = await CliProcess.RunAsync(["verify", jobId], server: liar.Url);
        Assert.Equal(1, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    private async Task<string> FinishedJobAsync()
    {
        var file = Path.Combine(work, "main.py");
        File.WriteAllText(file, Program);
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["run", "--json", file], server: server.Url);
        Assert.True(exit == 5, stderr);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("job_id").GetString()!;
    }

    private static async Task<Forger> ForgedStatusServerAsync(string jobId, string body)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet($"/status/{jobId}", () => Results.Content(body, "application/json"));
        await app.StartAsync();
        return new Forger(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    private sealed record Forger(WebApplication App, string Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
