namespace Sandrun.Broker.Tests.EndToEnd;

/// <summary>The sample server's broker and worker verbs: the original broker's environment variables, and refusals at start.</summary>
public sealed class BrokerVerbTests
{
    [Fact]
    public async Task The_original_brokers_environment_variables_set_the_port_database_lease_and_retention()
    {
        using var cluster = new BrokerCluster();
        var port = ServerProcess.FreePort();
        var database = Path.Combine(cluster.Directory, "from-env.db");
        var environment = new Dictionary<string, string>
        {
            ["BROKER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BROKER_DB"] = database,
            ["RESULT_TTL"] = "2",
            ["NODE_TIMEOUT"] = "7",
        };
        var (process, broker) = await cluster.StartBrokerProcessAsync(port, environment);
        Assert.True(File.Exists(database));
        Assert.Contains("lease 7 s", process.Output, StringComparison.Ordinal);
        Assert.Contains("results kept 00:00:02", process.Output, StringComparison.Ordinal);

        await cluster.StartWorkerAsync(broker, port, 1);
        var id = await BrokerCluster.SubmitAsync(broker, "print('kept briefly')");
        Assert.Equal("kept briefly\n", (await cluster.ResultsAsync(broker, id)).Stdout);

        // RESULT_TTL: gone (404) once its retention has passed.
        await cluster.WaitUntilAsync(async () =>
        {
            using var status = await broker.GetAsync($"status/{id}");
            return status.StatusCode == System.Net.HttpStatusCode.NotFound;
        });
    }

    [Fact]
    public async Task A_worker_with_a_missing_key_or_without_a_broker_refuses_to_start()
    {
        using var cluster = new BrokerCluster();
        var missing = Path.Combine(cluster.Directory, "no-such-key.pem");
        var (keyExit, keyOutput) = await cluster.RunToExitAsync("worker", "--broker", "http://127.0.0.1:9/", "--worker-key", missing);
        Assert.Equal(1, keyExit);
        Assert.Contains(missing, keyOutput, StringComparison.Ordinal);
        Assert.Contains("--generate-key", keyOutput, StringComparison.Ordinal);

        var (usageExit, usageOutput) = await cluster.RunToExitAsync("worker", "--slots", "2");
        Assert.Equal(2, usageExit);
        Assert.Contains("--broker", usageOutput, StringComparison.Ordinal);

        var (bothExit, bothOutput) = await cluster.RunToExitAsync("broker", "--db", "x.db", "--postgres", "Host=/tmp");
        Assert.Equal(2, bothExit);
        Assert.Contains("exclude each other", bothOutput, StringComparison.Ordinal);
    }
}
