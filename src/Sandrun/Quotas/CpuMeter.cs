namespace Sandrun.Quotas;

/// <summary>
/// Charges one sandboxed run's CPU to its client as it is consumed: each report carries the run's total so
/// far, and only the increase since the last report is charged (SPEC.md §2).
/// </summary>
internal sealed class CpuMeter(ClientQuotas quotas, string client)
{
    private readonly Lock gate = new();
    private TimeSpan charged;

    /// <summary>The run's total CPU time so far.</summary>
    public void Report(TimeSpan total)
    {
        TimeSpan delta;
        lock (gate)
        {
            delta = total - charged;
            if (delta <= TimeSpan.Zero)
            {
                return;
            }

            charged = total;
        }

        quotas.ChargeCpu(client, delta);
    }
}
