using System.Globalization;
using System.Text.Json;
using Sandrun.Broker.Tests.EndToEnd;

namespace Sandrun.Cli.Tests;

/// <summary><c>sandrun</c> through a pool (SPEC §7) of one worker, both the sample server's verbs as processes.</summary>
public sealed class PoolTests : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("sandrun-cli-pool-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public async Task Run_streams_and_verify_checks_the_workers_receipt_through_the_pool()
    {
        var server = Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        var key = Path.Combine(work, "worker.pem");
        var generated = await CliProcess.RunCommandAsync("dotnet", server, "--generate-key", key);
        Assert.Equal(0, generated.Exit);
        var workerId = generated.Stdout.Trim()["Worker ID: ".Length..];

        var workerPort = ServerProcess.FreePort();
        using var worker = ServerProcess.Start("worker", work, null, "--port", workerPort.ToString(CultureInfo.InvariantCulture), "--worker-key", key,
            "--Sandrun:Sandbox:StateDirectory", "/run/sandrun-cli-pool", "--Sandrun:RateLimits:TrustedProxies:0", "127.0.0.1");
        var workers = Path.Combine(work, "workers.json");
        File.WriteAllText(workers, $$"""[{"worker_id": "{{workerId}}", "endpoint": "http://127.0.0.1:{{workerPort}}", "max_concurrent_jobs": 2}]""");
        var poolPort = ServerProcess.FreePort();
        using var pool = ServerProcess.Start("pool", work, null, "pool", "--workers", workers, "--port", poolPort.ToString(CultureInfo.InvariantCulture),
            "--Sandrun:Pool:HealthCheckInterval", "00:00:01");
        var url = $"http://127.0.0.1:{poolPort}";
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await ServerProcesses.WaitUntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, pool);

        var file = Path.Combine(work, "job.py");
        File.WriteAllText(file, "import sys, time\nprint('one', flush=True)\ntime.sleep(1)\nprint('two')\nsys.exit(6)\n");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["run", file], server: url);
        Assert.True(exit == 6, stderr + pool.Output + worker.Output);
        Assert.Equal("one\ntwo\n", stdout);
        var jobId = System.Text.RegularExpressions.Regex.Match(stderr, "job-[a-z0-9]+").Value;

        var status = await CliProcess.RunAsync(["status", jobId, "--json"], server: url);
        var document = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal(jobId, document.GetProperty("job_id").GetString());
        Assert.NotEqual(jobId, document.GetProperty("pool_metadata").GetProperty("worker_job_id").GetString());

        var verify = await CliProcess.RunAsync(["verify", jobId, "--worker-id", workerId], server: url);
        Assert.True(verify.Exit == 0, verify.Stderr);
        Assert.Contains($"signed by worker {workerId}", verify.Stdout, StringComparison.Ordinal);
        pool.Stop();
        worker.Stop();
    }
}
