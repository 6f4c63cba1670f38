using System.Diagnostics.Metrics;

namespace Sandrun.Broker;

/// <summary>The broker's counters (meter <c>Sandrun.Broker</c>): submissions, claims, endings, lease expiries, refusals.</summary>
public sealed class BrokerMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Sandrun.Broker";

    private readonly Counter<long> submitted;
    private readonly Counter<long> claimed;
    private readonly Counter<long> finished;
    private readonly Counter<long> expired;
    private readonly Counter<long> refused;

    /// <summary>Creates the instruments on <paramref name="meters"/>.</summary>
    public BrokerMetrics(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(MeterName);
        submitted = meter.CreateCounter<long>("sandrun.broker.jobs.submitted", "{job}", "Jobs accepted");
        claimed = meter.CreateCounter<long>("sandrun.broker.jobs.claimed", "{job}", "Leases handed to nodes");
        finished = meter.CreateCounter<long>("sandrun.broker.jobs.finished", "{job}", "Jobs ended, by status and failure reason");
        expired = meter.CreateCounter<long>("sandrun.broker.leases.expired", "{lease}", "Leases that expired: requeued or failed node_lost");
        refused = meter.CreateCounter<long>("sandrun.broker.refusals", "{request}", "Node or client requests refused, by reason");
    }

    internal void Submitted() => submitted.Add(1);

    internal void Claimed() => claimed.Add(1);

    internal void Finished(string status, string? reason) =>
        finished.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("reason", reason ?? "none"));

    internal void Expired(int requeued, int failed)
    {
        if (requeued > 0)
        {
            expired.Add(requeued, new KeyValuePair<string, object?>("outcome", "requeued"));
        }

        if (failed > 0)
        {
            expired.Add(failed, new KeyValuePair<string, object?>("outcome", "node_lost"));
            finished.Add(failed, new KeyValuePair<string, object?>("status", "failed"), new KeyValuePair<string, object?>("reason", "node_lost"));
        }
    }

    internal void Refused(string reason) => refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
}
