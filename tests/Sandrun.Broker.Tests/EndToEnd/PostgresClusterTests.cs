using System.Globalization;

namespace Sandrun.Broker.Tests.EndToEnd;

/// <summary>Two broker processes sharing one PostgreSQL, each with its own node and clients: every job is done once, and either broker answers for any job.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests(PostgresServer server)
{
    [Fact]
    public async Task Two_brokers_on_one_database_with_two_nodes_do_every_job_once()
    {
        using var cluster = new BrokerCluster();
        var connection = await server.CreateDatabaseAsync();
        var (portA, portB) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        var (_, brokerA) = await cluster.StartBrokerAsync(portA, null, "--postgres", connection);
        var (_, brokerB) = await cluster.StartBrokerAsync(portB, new Dictionary<string, string> { ["BROKER_DB"] = connection });
        await cluster.StartWorkerAsync(brokerA, portA, 2);
        await cluster.StartWorkerAsync(brokerB, portB, 2);

        var jobs = new List<(string Id, int N)>();
        for (var n = 0; n < 100; n++)
        {
            jobs.Add((await BrokerCluster.SubmitAsync(n % 2 == 0 ? brokerA : brokerB, $"print({n})"), n));
        }

        foreach (var (id, n) in jobs)
        {
            // Asked of the broker it was not submitted to.
            var results = await cluster.ResultsAsync(n % 2 == 0 ? brokerB : brokerA, id);
            Assert.True(results.Status == "completed", $"{id}: {results.Status} {results.FailureReason}\n{cluster.Outputs()}");
            Assert.Equal(n.ToString(CultureInfo.InvariantCulture) + "\n", results.Stdout);
            Assert.Equal(1, results.Attempts);
        }

        var nodes = await BrokerCluster.NodesAsync(brokerA);
        Assert.Equal(2, nodes.Count);
        Assert.Equal(100, nodes.Sum(n => n.JobsCompleted));
    }
}
