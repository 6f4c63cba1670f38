using Sandrun.Broker.Storage;

namespace Sandrun.Broker.Tests.Stores;

/// <summary>The store contract on a SQLite file in a temp directory, plus what only a file-backed store can show.</summary>
public sealed class SqliteStoreTests : StoreConformance, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("sandrun-broker-").FullName;

    private string DatabasePath => Path.Combine(directory, "broker.db");

    protected override Task<IBrokerStore> CreateStoreAsync() => Task.FromResult<IBrokerStore>(new SqliteBrokerStore(DatabasePath, Time, new BrokerWakeup()));

    [Fact]
    public async Task A_reopened_store_still_has_every_job_and_lease()
    {
        var queued = await SubmitAsync();
        var running = await SubmitAsync();
        var lease = (await Store.ClaimAsync("node-a", Lease, CancellationToken.None))!;
        Assert.Equal(queued, lease.JobId);
        await Store.DisposeAsync();

        await using var reopened = new SqliteBrokerStore(DatabasePath, Time, new BrokerWakeup());
        await reopened.InitializeAsync(CancellationToken.None);
        Assert.Equal(BrokerStates.Running, (await reopened.GetAsync(queued, CancellationToken.None))!.State);
        Assert.Equal(CompletionOutcome.Completed, await reopened.CompleteAsync(queued, "node-a", lease.LeaseToken, Result(BrokerStates.Completed, 0), Ttl, CancellationToken.None));
        Assert.Equal(running, (await reopened.ClaimAsync("node-b", Lease, CancellationToken.None))!.JobId);
    }

    [Fact]
    public async Task Deleted_results_do_not_remain_in_the_database_file_or_its_log()
    {
        var id = await SubmitAsync("RETAINED-INPUT-MARKER"u8.ToArray());
        var lease = (await Store.ClaimAsync("node-a", Lease, CancellationToken.None))!;
        await Store.CompleteAsync(id, "node-a", lease.LeaseToken, Result(BrokerStates.Completed, 0, "RETAINED-OUTPUT-MARKER"), Ttl, CancellationToken.None);
        Time.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await Store.SweepAsync(Retry, Ttl, CancellationToken.None)).Purged);
        await Store.DisposeAsync();

        foreach (var file in Directory.GetFiles(directory))
        {
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.True(bytes.AsSpan().IndexOf("RETAINED-INPUT-MARKER"u8) < 0, $"{Path.GetFileName(file)} still holds a deleted input");
            Assert.True(bytes.AsSpan().IndexOf("RETAINED-OUTPUT-MARKER"u8) < 0, $"{Path.GetFileName(file)} still holds a deleted result");
        }
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
