namespace Sandrun.Broker.Storage;

/// <summary>
/// The broker's durable state: jobs, their inputs and results, leases and nodes. Every operation is one short
/// transaction (no transaction is held while a job runs); times come from the store's <see cref="TimeProvider"/>.
/// Any number of broker instances may share one store (PostgreSQL); each runs <see cref="SweepAsync"/>.
/// </summary>
public interface IBrokerStore : IAsyncDisposable
{
    /// <summary>Creates the schema if it is missing. Idempotent; safe while other brokers use the same database.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Stores an accepted job, queued, with its validated input archive.</summary>
    Task SubmitAsync(NewBrokerJob job, CancellationToken cancellationToken);

    /// <summary>A job's current record, or null when it is unknown or deleted.</summary>
    Task<BrokerJobRecord?> GetAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// Claims the oldest runnable queued job for <paramref name="nodeId"/> in one atomic statement: the job turns
    /// <c>running</c> under a fresh lease token expiring <paramref name="lease"/> from now. Null when none is runnable.
    /// </summary>
    Task<JobLease?> ClaimAsync(string nodeId, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>A job's input archive (tar.gz), or null when the job is gone.</summary>
    Task<byte[]?> ReadInputAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Renews a lease to <paramref name="lease"/> from now; false when the lease is no longer the holder's.</summary>
    Task<bool> HeartbeatAsync(string jobId, string nodeId, long leaseToken, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Ends a running job with its result, fenced by the lease: only the node holding the current token may. A stale
    /// or foreign lease changes nothing and answers <see cref="CompletionOutcome.StaleLease"/>.
    /// </summary>
    Task<CompletionOutcome> CompleteAsync(string jobId, string nodeId, long leaseToken, BrokerResult result, TimeSpan resultTtl, CancellationToken cancellationToken);

    /// <summary>
    /// The expiry sweep: expired leases go back to the queue after a backoff (an infrastructure failure, one attempt
    /// used) or, with no attempts left, end <c>failed</c> with <c>node_lost</c>; jobs past their retention are deleted
    /// with their inputs and results.
    /// </summary>
    Task<SweepReport> SweepAsync(RetryPolicy retry, TimeSpan resultTtl, CancellationToken cancellationToken);

    /// <summary>A finished job's stored result, or null when there is none (unfinished, or deleted).</summary>
    Task<StoredResult?> GetResultAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>A finished job's result detail JSON alone (no logs, no outputs), or null.</summary>
    Task<string?> GetResultDetailAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>A queued job's 1-based place in the claim order; 0 when it is not queued.</summary>
    Task<long> QueuePositionAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Records a registration challenge for a node that says it holds the challenge's worker key.</summary>
    Task AddNodeChallengeAsync(NodeChallenge challenge, CancellationToken cancellationToken);

    /// <summary>
    /// Turns a challenge that has not expired, issued for <paramref name="workerId"/>'s key, into a registered node holding
    /// <paramref name="tokenHash"/>; the challenge is used up either way. False when there was no such live challenge.
    /// </summary>
    Task<bool> ConfirmNodeAsync(string nodeId, string challenge, string workerId, byte[] tokenHash, CancellationToken cancellationToken);

    /// <summary>The registered node whose token hashes to <paramref name="tokenHash"/>, seen now; null when none.</summary>
    Task<BrokerNode?> FindNodeAsync(byte[] tokenHash, CancellationToken cancellationToken);

    /// <summary>Every registered node.</summary>
    Task<IReadOnlyList<BrokerNode>> ListNodesAsync(CancellationToken cancellationToken);

    /// <summary>Queued and running job counts.</summary>
    Task<(long Queued, long Running)> CountAsync(CancellationToken cancellationToken);
}
