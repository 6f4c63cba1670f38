using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sandrun.Broker.Storage;
using Sandrun.Jobs;

namespace Sandrun.Broker.Tests.Stores;

/// <summary>
/// The store contract, run against each store on a real database: claims are exclusive under concurrent claimers,
/// leases expire into re-claims, stale completions change nothing, attempts are bounded, retention deletes.
/// Time is the test's (<see cref="FakeTimeProvider"/>), passed into every statement.
/// </summary>
public abstract class StoreConformance : IAsyncLifetime
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    protected static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    protected static readonly RetryPolicy Retry = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    protected IBrokerStore Store { get; private set; } = null!;

    /// <summary>A fresh store on an empty database.</summary>
    protected abstract Task<IBrokerStore> CreateStoreAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateStoreAsync();
        await Store.InitializeAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();

    [Fact]
    public async Task Eight_concurrent_claimers_each_get_every_job_exactly_once()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 200; i++)
        {
            ids.Add(await SubmitAsync());
        }

        var claimed = new ConcurrentBag<string>();
        var completions = new ConcurrentBag<CompletionOutcome>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(n => Task.Run(async () =>
        {
            while (await Store.ClaimAsync($"node-{n}", Lease, CancellationToken.None) is { } lease)
            {
                claimed.Add(lease.JobId);
                completions.Add(await Store.CompleteAsync(lease.JobId, $"node-{n}", lease.LeaseToken, Result(BrokerStates.Completed, 0), Ttl, CancellationToken.None));
            }
        })));

        Assert.Equal(200, claimed.Count);
        Assert.Equal(ids.Order(StringComparer.Ordinal), claimed.Order(StringComparer.Ordinal));
        Assert.All(completions, c => Assert.Equal(CompletionOutcome.Completed, c));
        foreach (var id in ids)
        {
            var job = await Store.GetAsync(id, CancellationToken.None);
            Assert.Equal(BrokerStates.Completed, job!.State);
            Assert.Equal(1, job.Attempts);
        }

        Assert.Equal((0L, 0L), await Store.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_claim_returns_the_job_as_submitted_and_its_input()
    {
        var input = RandomNumberGenerator.GetBytes(5000);
        var id = await SubmitAsync(input);
        var lease = await Store.ClaimAsync("node-a", Lease, CancellationToken.None);

        Assert.NotNull(lease);
        Assert.Equal(id, lease.JobId);
        Assert.Equal(1, lease.Attempt);
        Assert.Equal("hash-" + id, lease.JobHash);
        Assert.Equal("{\"entrypoint\":\"main.py\"}", lease.Manifest);
        Assert.Equal(Time.GetUtcNow() + Lease, lease.LeaseExpiresAt);
        Assert.Equal(input, await Store.ReadInputAsync(id, CancellationToken.None));
        var job = await Store.GetAsync(id, CancellationToken.None);
        Assert.Equal(BrokerStates.Running, job!.State);
        Assert.Equal("node-a", job.NodeId);
        Assert.Null(await Store.ClaimAsync("node-b", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task An_expired_lease_is_queued_again_after_a_backoff_and_reclaimed_with_a_new_token()
    {
        var id = await SubmitAsync();
        var first = (await Store.ClaimAsync("node-a", Lease, CancellationToken.None))!;

        // Renewed: a sweep within the renewed lease leaves it alone.
        Time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await Store.HeartbeatAsync(id, "node-a", first.LeaseToken, Lease, CancellationToken.None));
        Time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(new SweepReport(0, 0, 0), await Store.SweepAsync(Retry, Ttl, CancellationToken.None));
        Assert.Equal(BrokerStates.Running, (await Store.GetAsync(id, CancellationToken.None))!.State);

        Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(new SweepReport(1, 0, 0), await Store.SweepAsync(Retry, Ttl, CancellationToken.None));
        var queued = (await Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(BrokerStates.Queued, queued.State);
        Assert.Equal("lease expired", queued.LastError);
        Assert.Equal(Time.GetUtcNow() + Retry.Base, queued.RunAfter);

        // Not before the backoff has passed.
        Assert.Null(await Store.ClaimAsync("node-b", Lease, CancellationToken.None));
        Time.Advance(Retry.Base);
        var second = await Store.ClaimAsync("node-b", Lease, CancellationToken.None);
        Assert.NotNull(second);
        Assert.Equal(id, second.JobId);
        Assert.Equal(2, second.Attempt);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);

        // The old holder's heartbeat is refused: its lease is gone.
        Assert.False(await Store.HeartbeatAsync(id, "node-a", first.LeaseToken, Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_stale_completion_is_refused_and_changes_nothing()
    {
        var id = await SubmitAsync();
        var first = (await Store.ClaimAsync("node-a", Lease, CancellationToken.None))!;
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        await Store.SweepAsync(Retry, Ttl, CancellationToken.None);
        Time.Advance(Retry.Base);
        var second = (await Store.ClaimAsync("node-b", Lease, CancellationToken.None))!;
        var before = await Store.GetAsync(id, CancellationToken.None);

        Assert.Equal(CompletionOutcome.StaleLease, await Store.CompleteAsync(id, "node-a", first.LeaseToken, Result(BrokerStates.Completed, 0), Ttl, CancellationToken.None));
        Assert.Equal(CompletionOutcome.StaleLease, await Store.CompleteAsync(id, "node-a", second.LeaseToken, Result(BrokerStates.Completed, 0), Ttl, CancellationToken.None));
        Assert.Equal(before, await Store.GetAsync(id, CancellationToken.None));
        Assert.Null(await Store.GetResultAsync(id, CancellationToken.None));

        Assert.Equal(CompletionOutcome.Completed, await Store.CompleteAsync(id, "node-b", second.LeaseToken, Result(BrokerStates.Completed, 0, "out"), Ttl, CancellationToken.None));
        Assert.Equal(CompletionOutcome.StaleLease, await Store.CompleteAsync(id, "node-b", second.LeaseToken, Result(BrokerStates.Failed, 1), Ttl, CancellationToken.None));
        var done = (await Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(BrokerStates.Completed, done.State);
        Assert.Equal(0, done.ExitCode);
        Assert.Equal("out", Encoding.UTF8.GetString((await Store.GetResultAsync(id, CancellationToken.None))!.Stdout));
        Assert.Equal(CompletionOutcome.NotFound, await Store.CompleteAsync("job-unknown", "node-b", 1, Result(BrokerStates.Completed, 0), Ttl, CancellationToken.None));
    }

    [Fact]
    public async Task Infrastructure_failures_are_bounded_by_max_attempts_then_the_job_fails_node_lost()
    {
        var id = await SubmitAsync();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var lease = await Store.ClaimAsync($"node-{attempt}", Lease, CancellationToken.None);
            Assert.Equal(attempt, lease!.Attempt);
            Time.Advance(Lease + TimeSpan.FromSeconds(1));
            var report = await Store.SweepAsync(Retry, Ttl, CancellationToken.None);
            Assert.Equal(attempt < 3 ? new SweepReport(1, 0, 0) : new SweepReport(0, 1, 0), report);

            // Backoff doubles: 1 s, 2 s.
            var record = (await Store.GetAsync(id, CancellationToken.None))!;
            if (attempt < 3)
            {
                Assert.Equal(Time.GetUtcNow() + TimeSpan.FromSeconds(1 << (attempt - 1)), record.RunAfter);
                Time.Advance(TimeSpan.FromSeconds(1 << (attempt - 1)));
            }
        }

        var failed = (await Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(BrokerStates.Failed, failed.State);
        Assert.Equal("node_lost", failed.FailureReason);
        Assert.Equal(3, failed.Attempts);
        Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(await Store.ClaimAsync("node-x", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task A_program_failure_is_final_and_never_requeued()
    {
        var id = await SubmitAsync();
        var lease = (await Store.ClaimAsync("node-a", Lease, CancellationToken.None))!;
        Assert.Equal(CompletionOutcome.Completed, await Store.CompleteAsync(id, "node-a", lease.LeaseToken, Result(BrokerStates.Failed, 3) with { FailureReason = "exit_code" }, Ttl, CancellationToken.None));
        Time.Advance(Lease * 3);
        Assert.Equal(new SweepReport(0, 0, 0), await Store.SweepAsync(Retry, Ttl, CancellationToken.None));
        var job = (await Store.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(BrokerStates.Failed, job.State);
        Assert.Equal("exit_code", job.FailureReason);
        Assert.Equal(1, job.Attempts);
        Assert.Null(await Store.ClaimAsync("node-b", Lease, CancellationToken.None));
    }

    [Fact]
    public async Task Retention_deletes_the_job_its_input_and_its_result_after_the_ttl_and_not_before()
    {
        var id = await SubmitAsync();
        var waiting = await SubmitAsync();
        var lease = (await Store.ClaimAsync("node-a", Lease, CancellationToken.None))!;
        await Store.CompleteAsync(id, "node-a", lease.LeaseToken, Result(BrokerStates.Completed, 0, "secret"), Ttl, CancellationToken.None);

        Time.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Equal(0, (await Store.SweepAsync(Retry, Ttl, CancellationToken.None)).Purged);
        Assert.NotNull(await Store.GetResultAsync(id, CancellationToken.None));

        Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, (await Store.SweepAsync(Retry, Ttl, CancellationToken.None)).Purged);
        Assert.Null(await Store.GetAsync(id, CancellationToken.None));
        Assert.Null(await Store.ReadInputAsync(id, CancellationToken.None));
        Assert.Null(await Store.GetResultAsync(id, CancellationToken.None));

        // A job that has not ended is kept however old it is.
        Assert.Equal(BrokerStates.Queued, (await Store.GetAsync(waiting, CancellationToken.None))!.State);
        Assert.NotNull(await Store.ReadInputAsync(waiting, CancellationToken.None));
    }

    [Fact]
    public async Task A_node_registers_only_by_answering_its_live_challenge_and_is_found_by_its_token()
    {
        var token = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
        await Store.AddNodeChallengeAsync(new NodeChallenge("node-1", "key-1", "nonce-1", "host-a", "{}", 4, Time.GetUtcNow().AddMinutes(1)), CancellationToken.None);
        Assert.False(await Store.ConfirmNodeAsync("node-1", "nonce-2", "key-1", token, CancellationToken.None));

        // A wrong answer used the challenge up.
        Assert.False(await Store.ConfirmNodeAsync("node-1", "nonce-1", "key-1", token, CancellationToken.None));
        Assert.Null(await Store.FindNodeAsync(token, CancellationToken.None));

        await Store.AddNodeChallengeAsync(new NodeChallenge("node-2", "key-2", "nonce-3", null, "{}", 2, Time.GetUtcNow().AddMinutes(1)), CancellationToken.None);
        Time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(await Store.ConfirmNodeAsync("node-2", "nonce-3", "key-2", token, CancellationToken.None));

        await Store.AddNodeChallengeAsync(new NodeChallenge("node-3", "key-3", "nonce-4", "host-c", "{\"gpu\":false}", 2, Time.GetUtcNow().AddMinutes(1)), CancellationToken.None);
        await Store.AddNodeChallengeAsync(new NodeChallenge("node-4", "key-4", "nonce-5", null, "{}", 1, Time.GetUtcNow().AddMinutes(1)), CancellationToken.None);
        Assert.False(await Store.ConfirmNodeAsync("node-4", "nonce-5", "key-3", token, CancellationToken.None));
        Assert.True(await Store.ConfirmNodeAsync("node-3", "nonce-4", "key-3", token, CancellationToken.None));
        var node = await Store.FindNodeAsync(token, CancellationToken.None);
        Assert.Equal(("node-3", "key-3", "host-c", 2), (node!.NodeId, node.WorkerId, node.Endpoint, node.Slots));
        Assert.Null(await Store.FindNodeAsync(SHA256.HashData(token), CancellationToken.None));
        Assert.Equal(["node-3"], (await Store.ListNodesAsync(CancellationToken.None)).Select(n => n.NodeId));
    }

    protected async Task<string> SubmitAsync(byte[]? input = null)
    {
        var id = JobStore.NewId();
        await Store.SubmitAsync(new NewBrokerJob(id, "hash-" + id, "{\"entrypoint\":\"main.py\"}", input ?? [1, 2, 3], 3), CancellationToken.None);

        // Jobs are claimed oldest first: each submission gets its own millisecond.
        Time.Advance(TimeSpan.FromMilliseconds(1));
        return id;
    }

    protected static BrokerResult Result(string status, int exitCode, string stdout = "") =>
        new(status, exitCode, status == BrokerStates.Completed ? null : "exit_code", "{}", Encoding.UTF8.GetBytes(stdout), [], null);
}
