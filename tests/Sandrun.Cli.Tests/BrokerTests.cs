using System.Text.Json;
using Sandrun.Broker.Tests.EndToEnd;

namespace Sandrun.Cli.Tests;

/// <summary><c>sandrun</c> against a broker (SPEC §8): no stream there, so run polls, then prints the results; status works.</summary>
public sealed class BrokerTests : IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("sandrun-cli-broker-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public async Task Run_and_status_work_through_a_broker_and_its_node()
    {
        var port = ServerProcess.FreePort();
        var key = Path.Combine(work, "node.pem");
        var generated = await CliProcess.RunCommandAsync("dotnet", Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll"), "--generate-key", key);
        Assert.Equal(0, generated.Exit);
        using var broker = ServerProcess.Start("broker", work, null, "broker", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", Path.Combine(work, "broker.db"));
        var url = $"http://127.0.0.1:{port}";
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await ServerProcesses.WaitUntilAsync(async () => (await http.GetAsync("/health")).IsSuccessStatusCode, broker);
        using var node = ServerProcess.Start("worker", work, null, "worker", "--broker", url, "--worker-key", key, "--slots", "1",
            "--Sandrun:Sandbox:StateDirectory", "/run/sandrun-cli-broker");
        await ServerProcesses.WaitUntilAsync(async () => JsonDocument.Parse(await http.GetStringAsync("/nodes")).RootElement.GetProperty("nodes").GetArrayLength() == 1, node);

        var file = Path.Combine(work, "job.py");
        File.WriteAllText(file, "import sys\nprint('via broker', sys.argv[1])\nprint('oops', file=sys.stderr)\nsys.exit(4)\n");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["run", file, "--", "arg"], server: url);
        Assert.True(exit == 4, stderr + broker.Output + node.Output);
        Assert.Equal("via broker arg\n", stdout);
        Assert.StartsWith("oops\n", stderr, StringComparison.Ordinal);
        var jobId = System.Text.RegularExpressions.Regex.Match(stderr, "job-[a-z0-9]+").Value;

        var status = await CliProcess.RunAsync(["status", jobId, "--json"], server: url);
        Assert.Equal(0, status.Exit);
        Assert.Equal("exit_code", JsonDocument.Parse(status.Stdout).RootElement.GetProperty("failure_reason").GetString());
        var verify = await CliProcess.RunAsync(["verify", jobId], server: url);
        Assert.True(verify.Exit == 0, verify.Stderr);
        node.Stop();
        broker.Stop();
    }
}
