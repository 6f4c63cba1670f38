using System.Diagnostics.Metrics;

namespace Sandrun.Pool;

/// <summary>Pool metrics (meter "Sandrun.Pool"): placements, failovers, lost jobs, invalid receipts.</summary>
public sealed class PoolMetrics
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "Sandrun.Pool";
    private readonly Counter<long> dispatched;
    private readonly Counter<long> failovers;
    private readonly Counter<long> lost;
    private readonly Counter<long> receiptsInvalid;

    /// <summary>Creates the instruments.</summary>
    public PoolMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        dispatched = meter.CreateCounter<long>("sandrun.pool.jobs.dispatched", description: "Jobs a worker accepted");
        failovers = meter.CreateCounter<long>("sandrun.pool.submit.failovers", description: "Submissions a worker refused or could not take, tried on the next");
        lost = meter.CreateCounter<long>("sandrun.pool.jobs.worker_lost", description: "Jobs ended worker_lost");
        receiptsInvalid = meter.CreateCounter<long>("sandrun.pool.receipts.invalid", description: "Final statuses whose receipt did not verify");
    }

    internal void Dispatched() => dispatched.Add(1);

    internal void Failover() => failovers.Add(1);

    internal void Lost() => lost.Add(1);

    internal void ReceiptInvalid() => receiptsInvalid.Add(1);
}
