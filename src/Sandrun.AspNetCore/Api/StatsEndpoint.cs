using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;
using Sandrun.Quotas;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /stats: the caller's quota (by client address, as submissions count it) and the system counters.</summary>
internal static class StatsEndpoint
{
    public static IResult Get(HttpContext context, JobEngine engine, ClientQuotas quotas, SandrunClientAddress clients)
    {
        var quota = quotas.Snapshot(clients.Resolve(context));
        return ApiJson.Ok(
            new StatsResponse(
                new QuotaView(
                    Math.Round(quota.UsedCpuSeconds, 3), quota.LimitCpuSeconds, Math.Round(quota.AvailableCpuSeconds, 3),
                    quota.ActiveJobs, quota.CanSubmit, quota.Reason),
                new SystemCounters(engine.QueueLength, engine.RunningJobs)),
            SandrunJsonContext.Default.StatsResponse);
    }
}
