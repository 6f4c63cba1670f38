using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Sandrun.Broker.Tests.EndToEnd;

/// <summary>
/// The broker and its nodes as real processes of the sample server, running real sandboxed python jobs: every job is
/// done exactly once, a node SIGKILLed mid-job loses nothing (its job runs again elsewhere after its lease), and a
/// broker SIGKILLed and restarted mid-load loses nothing.
/// </summary>
public sealed class BrokerProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_hundred_jobs_through_a_broker_and_two_nodes_all_complete_exactly_once()
    {
        using var cluster = new BrokerCluster();
        var port = ServerProcess.FreePort();
        var (_, broker) = await cluster.StartBrokerAsync(port, null, "--db", Path.Combine(cluster.Directory, "broker.db"));
        await cluster.StartWorkerAsync(broker, port, 2);
        await cluster.StartWorkerAsync(broker, port, 2);

        var jobs = new List<(string Id, int N)>();
        for (var n = 0; n < 200; n++)
        {
            jobs.Add((await BrokerCluster.SubmitAsync(broker, $"print({n})"), n));
        }

        foreach (var (id, n) in jobs)
        {
            var results = await cluster.ResultsAsync(broker, id);
            Assert.True(results.Status == "completed", $"{id}: {results.Status} {results.FailureReason} {results.Stderr}\n{cluster.Outputs()}");
            Assert.Equal(n.ToString(CultureInfo.InvariantCulture) + "\n", results.Stdout);
            Assert.Equal(1, results.Attempts);
            Assert.NotNull(results.WorkerMetadata.Receipt);
        }

        var nodes = await BrokerCluster.NodesAsync(broker);
        Assert.Equal(2, nodes.Count);
        Assert.Equal(200, nodes.Sum(n => n.JobsCompleted));
        Assert.All(nodes, n => Assert.True(n.JobsCompleted > 0, $"node {n.NodeId} ran no job"));
    }

    [Fact]
    public async Task A_node_killed_mid_job_has_its_job_run_again_on_the_other_node_after_the_lease_expires()
    {
        const int LeaseSeconds = 3;
        using var cluster = new BrokerCluster();
        var port = ServerProcess.FreePort();
        var (_, broker) = await cluster.StartBrokerAsync(port, null, "--db", Path.Combine(cluster.Directory, "broker.db"), "--Sandrun:Broker:LeaseSeconds", $"{LeaseSeconds}");
        var doomed = await cluster.StartWorkerAsync(broker, port, 1);
        var doomedNode = (await BrokerCluster.NodesAsync(broker)).Single().NodeId;

        var id = await BrokerCluster.SubmitAsync(broker, "import time\nprint('started', flush=True)\ntime.sleep(6)\nprint('finished')");
        await cluster.WaitUntilAsync(async () => (await BrokerCluster.StatusAsync(broker, id)) is { Status: "running" } s && s.NodeId == doomedNode);
        await cluster.StartWorkerAsync(broker, port, 1);
        var survivor = (await BrokerCluster.NodesAsync(broker)).Single(n => n.NodeId != doomedNode).NodeId;

        // Give the doomed node's sandbox time to start the program, then kill the node outright.
        await Task.Delay(TimeSpan.FromSeconds(1));
        doomed.Kill();
        var killed = Stopwatch.StartNew();
        await cluster.WaitUntilAsync(async () => (await BrokerCluster.StatusAsync(broker, id)) is { Status: "running" } s && s.NodeId == survivor);
        output.WriteLine($"node death to re-run on the other node: {killed.Elapsed.TotalSeconds:0.0} s (lease {LeaseSeconds} s)");

        var results = await cluster.ResultsAsync(broker, id);
        Assert.Equal("completed", results.Status);
        Assert.Equal("started\nfinished\n", results.Stdout);
        Assert.Equal(2, results.Attempts);
        Assert.Equal(survivor, results.NodeId);
    }

    [Fact]
    public async Task A_broker_killed_and_restarted_mid_load_loses_no_accepted_job()
    {
        using var cluster = new BrokerCluster();
        var port = ServerProcess.FreePort();
        var database = Path.Combine(cluster.Directory, "broker.db");
        var (first, broker) = await cluster.StartBrokerAsync(port, null, "--db", database, "--Sandrun:Broker:LeaseSeconds", "10");
        await cluster.StartWorkerAsync(broker, port, 2);
        await cluster.StartWorkerAsync(broker, port, 2);

        var jobs = new List<(string Id, int N)>();
        for (var n = 0; n < 60; n++)
        {
            jobs.Add((await BrokerCluster.SubmitAsync(broker, $"import time\ntime.sleep(0.2)\nprint({n})"), n));
        }

        // Mid-load: some jobs done, some running, most queued.
        await cluster.WaitUntilAsync(async () => (await BrokerCluster.NodesAsync(broker)).Sum(n => n.JobsCompleted) >= 10);
        first.Kill();
        var (_, restarted) = await cluster.StartBrokerAsync(port, null, "--db", database, "--Sandrun:Broker:LeaseSeconds", "10");
        for (var n = 60; n < 80; n++)
        {
            jobs.Add((await BrokerCluster.SubmitAsync(restarted, $"print({n})"), n));
        }

        foreach (var (id, n) in jobs)
        {
            var results = await cluster.ResultsAsync(restarted, id);
            Assert.True(results.Status == "completed", $"{id}: {results.Status} {results.FailureReason}\n{cluster.Outputs()}");
            Assert.EndsWith(n.ToString(CultureInfo.InvariantCulture) + "\n", results.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_job_the_node_cannot_run_within_its_own_limits_ends_failed_setup_error_with_the_nodes_receipt_not_retried()
    {
        using var cluster = new BrokerCluster();
        var port = ServerProcess.FreePort();
        var (_, broker) = await cluster.StartBrokerAsync(port, null, "--db", Path.Combine(cluster.Directory, "broker.db"));
        await cluster.StartWorkerAsync(broker, port, 1, "--Sandrun:Limits:MaxMemoryMb", "600");

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("print(1)"u8.ToArray()), "files", "main.py" },
            { new StringContent("{\"memory_mb\": 1024}"), "manifest" },
        };
        using var submit = await broker.PostAsync("submit", form);
        submit.EnsureSuccessStatusCode();
        var id = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync(submit.Content, Contracts.BrokerJsonContext.Default.BrokerSubmitResponse))!.JobId;

        var results = await cluster.ResultsAsync(broker, id);
        Assert.Equal(("failed", "setup_error", 1), (results.Status, results.FailureReason, results.Attempts));
        Assert.NotNull(results.WorkerMetadata.Receipt);
        var status = await BrokerCluster.StatusAsync(broker, id);
        Assert.Contains("memory_mb", status.Error, StringComparison.Ordinal);
    }
}
