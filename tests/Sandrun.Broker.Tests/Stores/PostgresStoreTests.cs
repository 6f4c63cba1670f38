using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Broker.Storage;

namespace Sandrun.Broker.Tests.Stores;

/// <summary>The store contract on a real PostgreSQL, a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server) : StoreConformance
{
    protected override async Task<IBrokerStore> CreateStoreAsync() =>
        new PostgresBrokerStore(await server.CreateDatabaseAsync(), Time, new BrokerWakeup(), NullLogger<PostgresBrokerStore>.Instance);

    [Fact]
    public async Task A_submission_on_one_broker_wakes_claimers_waiting_on_another()
    {
        var connection = await server.CreateDatabaseAsync();
        var wakeupA = new BrokerWakeup();
        var wakeupB = new BrokerWakeup();
        await using var brokerA = new PostgresBrokerStore(connection, Time, wakeupA, NullLogger<PostgresBrokerStore>.Instance);
        await using var brokerB = new PostgresBrokerStore(connection, Time, wakeupB, NullLogger<PostgresBrokerStore>.Instance);
        await brokerA.InitializeAsync(CancellationToken.None);
        await brokerB.InitializeAsync(CancellationToken.None);

        // The listener subscribes in the background; submit until its hint arrives (bounded by the test's timeout).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var pulsed = false;
        while (!pulsed)
        {
            var next = wakeupB.Next;
            await brokerA.SubmitAsync(new NewBrokerJob(Jobs.JobStore.NewId(), "h", "{}", [1], 3), CancellationToken.None);
            pulsed = await wakeupB.WaitAsync(next, TimeSpan.FromSeconds(1), timeout.Token);
        }

        Assert.NotNull(await brokerB.ClaimAsync("node-b", Lease, CancellationToken.None));
    }
}
