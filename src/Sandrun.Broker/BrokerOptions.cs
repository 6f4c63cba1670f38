namespace Sandrun.Broker;

/// <summary>The broker's settings (configuration section <c>Sandrun:Broker</c>).</summary>
public sealed class BrokerOptions
{
    /// <summary>The SQLite database file (the embedded store), used unless <see cref="Postgres"/> is set.</summary>
    public string Database { get; set; } = "sandrun-broker.db";

    /// <summary>A PostgreSQL connection string; when set, the broker uses PostgreSQL (any number of brokers may share it).</summary>
    public string? Postgres { get; set; }

    /// <summary>How long a node holds a job without a heartbeat before the job is queued again (SPEC.md §8 LeaseSeconds).</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Runs infrastructure failures (expired leases) may cost a job before it fails with <c>node_lost</c>.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Wait before a job whose lease expired may run again, doubling with each failed attempt.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long inputs and results are kept after a job ends (SPEC.md §8, <c>RESULT_TTL</c>).</summary>
    public TimeSpan ResultTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often this broker sweeps expired leases and retention, and how often a waiting claim polls the store.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest a <c>POST /claim</c> waits for a job before answering <c>{"job": null}</c>.</summary>
    public int MaxClaimWaitSeconds { get; set; } = 30;

    /// <summary>Largest <c>POST /complete</c> body: logs, result and the outputs archive together.</summary>
    public long MaxResultBytes { get; set; } = 256L << 20;
}
