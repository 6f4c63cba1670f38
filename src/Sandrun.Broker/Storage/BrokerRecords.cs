namespace Sandrun.Broker.Storage;

/// <summary>A job accepted by the broker: its id, what was validated at submit, and the input archive.</summary>
/// <param name="Id">The broker's job id (<c>job-…</c>), the id every receipt names.</param>
/// <param name="JobHash">SPEC.md §6 job hash computed at submit; a receipt must state the same.</param>
/// <param name="Manifest">The normalized manifest JSON (defaults applied) the node runs.</param>
/// <param name="Input">The validated upload as a tar.gz archive.</param>
/// <param name="MaxAttempts">How many runs infrastructure failures may cost before the job fails.</param>
public sealed record NewBrokerJob(string Id, string JobHash, string Manifest, byte[] Input, int MaxAttempts);

/// <summary>A job as stored.</summary>
/// <param name="Id">Job id.</param>
/// <param name="State"><c>queued</c>, <c>running</c>, <c>completed</c> or <c>failed</c>.</param>
/// <param name="Attempts">Runs started so far.</param>
/// <param name="MaxAttempts">Runs allowed.</param>
/// <param name="NodeId">The node running it, or that ran it last; null before the first claim.</param>
/// <param name="LeaseToken">Current fencing token (0 before the first claim).</param>
/// <param name="LeaseExpiresAt">When the current lease expires; null unless running.</param>
/// <param name="JobHash">Job hash computed at submit.</param>
/// <param name="Manifest">Normalized manifest JSON.</param>
/// <param name="ExitCode">The program's exit code once finished, if it exited.</param>
/// <param name="FailureReason">Why it failed, or null.</param>
/// <param name="LastError">The last infrastructure failure (e.g. a lease that expired), or null.</param>
/// <param name="CreatedAt">When it was accepted.</param>
/// <param name="StartedAt">When it was first claimed.</param>
/// <param name="FinishedAt">When it ended.</param>
/// <param name="RunAfter">When it may be claimed (later than <paramref name="CreatedAt"/> after a backoff).</param>
public sealed record BrokerJobRecord(
    string Id, string State, int Attempts, int MaxAttempts, string? NodeId, long LeaseToken, DateTimeOffset? LeaseExpiresAt,
    string JobHash, string Manifest, int? ExitCode, string? FailureReason, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset RunAfter)
{
    /// <summary>Whether the job has ended (its result is final).</summary>
    public bool IsFinished => State is BrokerStates.Completed or BrokerStates.Failed;
}

/// <summary>The job states the broker reports (SPEC.md §2 <c>status</c> values).</summary>
public static class BrokerStates
{
    /// <summary>Waiting for a node.</summary>
    public const string Queued = "queued";

    /// <summary>Held by a node under a lease.</summary>
    public const string Running = "running";

    /// <summary>Exited 0 within all limits.</summary>
    public const string Completed = "completed";

    /// <summary>Anything else.</summary>
    public const string Failed = "failed";
}

/// <summary>A claimed job: what the node runs and the lease it holds.</summary>
/// <param name="JobId">Job id.</param>
/// <param name="LeaseToken">The fencing token every heartbeat and the completion must carry.</param>
/// <param name="Attempt">Which run this is (1-based).</param>
/// <param name="JobHash">Job hash computed at submit.</param>
/// <param name="Manifest">Normalized manifest JSON.</param>
/// <param name="LeaseExpiresAt">When the lease expires unless renewed.</param>
public sealed record JobLease(string JobId, long LeaseToken, int Attempt, string JobHash, string Manifest, DateTimeOffset LeaseExpiresAt);

/// <summary>A node's result for a job, as the broker stores it.</summary>
/// <param name="Status"><c>completed</c> or <c>failed</c>.</param>
/// <param name="ExitCode">The program's exit code, if it exited.</param>
/// <param name="FailureReason">Why it failed, or null.</param>
/// <param name="Detail">The result's JSON detail (execution metadata, output files, worker metadata) as the API reports it.</param>
/// <param name="Stdout">Standard output.</param>
/// <param name="Stderr">Standard error.</param>
/// <param name="Outputs">The output files as a tar.gz archive, or null when there are none.</param>
public sealed record BrokerResult(string Status, int? ExitCode, string? FailureReason, string Detail, byte[] Stdout, byte[] Stderr, byte[]? Outputs);

/// <summary>A finished job's stored result.</summary>
/// <param name="Detail">The result's JSON detail.</param>
/// <param name="Stdout">Standard output.</param>
/// <param name="Stderr">Standard error.</param>
/// <param name="Outputs">The output files as a tar.gz archive, or null.</param>
public sealed record StoredResult(string Detail, byte[] Stdout, byte[] Stderr, byte[]? Outputs);

/// <summary>How a completion ended.</summary>
public enum CompletionOutcome
{
    /// <summary>The result was stored; the job has ended.</summary>
    Completed,

    /// <summary>The lease was not (or no longer) the caller's: nothing changed.</summary>
    StaleLease,

    /// <summary>No such job.</summary>
    NotFound,
}

/// <summary>What one sweep did.</summary>
/// <param name="Requeued">Jobs whose lease expired and that went back to the queue.</param>
/// <param name="Failed">Jobs whose lease expired with no attempts left, now failed with <c>node_lost</c>.</param>
/// <param name="Purged">Jobs deleted with their inputs and results after their retention.</param>
public sealed record SweepReport(int Requeued, int Failed, int Purged);

/// <summary>How retries after infrastructure failures are spaced: <c>min(Max, Base × 2^(attempt−1))</c>.</summary>
/// <param name="Base">Backoff after the first failed attempt.</param>
/// <param name="Max">Longest backoff.</param>
public sealed record RetryPolicy(TimeSpan Base, TimeSpan Max);

/// <summary>A registration challenge a node must sign to register.</summary>
/// <param name="NodeId">The node id the registration will get.</param>
/// <param name="WorkerId">Standard Base64 of the Ed25519 public key the node says it holds.</param>
/// <param name="Challenge">Standard Base64 of 32 random bytes.</param>
/// <param name="Endpoint">What the node says about where it runs (informational).</param>
/// <param name="Capabilities">The node's capabilities JSON (informational).</param>
/// <param name="Slots">How many jobs the node runs at once.</param>
/// <param name="ExpiresAt">When the challenge stops being accepted.</param>
public sealed record NodeChallenge(string NodeId, string WorkerId, string Challenge, string? Endpoint, string Capabilities, int Slots, DateTimeOffset ExpiresAt);

/// <summary>A registered node.</summary>
/// <param name="NodeId">Node id.</param>
/// <param name="WorkerId">The key the node proved at registration.</param>
/// <param name="Endpoint">Where it says it runs.</param>
/// <param name="Capabilities">Its capabilities JSON.</param>
/// <param name="Slots">How many jobs it runs at once.</param>
/// <param name="RegisteredAt">When it registered.</param>
/// <param name="LastSeen">When it last called the broker.</param>
/// <param name="Completed">Jobs it completed.</param>
/// <param name="Failed">Jobs it reported failed.</param>
public sealed record BrokerNode(
    string NodeId, string WorkerId, string? Endpoint, string Capabilities, int Slots, DateTimeOffset RegisteredAt, DateTimeOffset LastSeen, long Completed, long Failed);
