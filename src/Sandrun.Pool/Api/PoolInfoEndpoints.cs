using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.AspNetCore;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Pool.Contracts;
using Sandrun.Pool.Jobs;
using Sandrun.Pool.Workers;
using Sandrun.Quotas;

namespace Sandrun.Pool.Api;

/// <summary>The pool's answers that are not about one job: service information, health, stats, environments, <c>/pool</c>.</summary>
internal static class PoolInfoEndpoints
{
    /// <summary>GET /pool (SPEC.md §7).</summary>
    public static IResult Pool(PoolWorkers workers, IPoolJobStore store) =>
        TypedResults.Json(
            new PoolView(
                [.. workers.All.Select(w => new PoolWorkerView(
                    w.WorkerId, w.Endpoint.ToString().TrimEnd('/'), w.Healthy, w.Verified && !w.Quarantined, w.ActiveJobs, w.MaxConcurrentJobs,
                    w.Completed, w.Failed, w.LastError, w.LastCheck))],
                store.QueueLength,
                workers.All.Count,
                workers.All.Count(w => w.Usable)),
            PoolJsonContext.Default.PoolView);

    /// <summary>GET /health: healthy while at least one worker is usable; the pool itself has no key (<c>worker_id</c> null).</summary>
    public static IResult Health(PoolWorkers workers)
    {
        var usable = workers.All.Count(w => w.Usable);
        return usable > 0
            ? TypedResults.Json(new HealthResponse("healthy", null), SandrunJsonContext.Default.HealthResponse)
            : TypedResults.Json(new HealthResponse("unhealthy", null, "no worker is healthy and verified"), SandrunJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>GET /stats: the caller's quota at the pool and the pool's counters.</summary>
    public static IResult Stats(HttpContext context, ClientQuotas quotas, SandrunClientAddress clients, PoolWorkers workers, IPoolJobStore store)
    {
        var quota = quotas.Snapshot(clients.Resolve(context));
        return TypedResults.Json(
            new StatsResponse(
                new QuotaView(Math.Round(quota.UsedCpuSeconds, 3), quota.LimitCpuSeconds, Math.Round(quota.AvailableCpuSeconds, 3), quota.ActiveJobs, quota.CanSubmit, quota.Reason),
                new SystemCounters(store.QueueLength, workers.All.Sum(w => w.ActiveJobs))),
            SandrunJsonContext.Default.StatsResponse);
    }

    /// <summary>GET / and GET /environments: a usable worker's answer (workers of one pool serve the same service); <c>/</c> adds <c>mode: "pool"</c>.</summary>
    public static async Task<IResult> FromAWorkerAsync(HttpContext context, string relative, PoolWorkers workers, WorkerClient client, SandrunClientAddress clients)
    {
        foreach (var worker in workers.All.Where(w => w.Usable))
        {
            WorkerAnswer answer;
            try
            {
                answer = await client.GetAsync(worker, relative, clients.Resolve(context), context.RequestAborted).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                continue;
            }
            catch (TaskCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                continue;
            }

            if (answer.StatusCode != StatusCodes.Status200OK)
            {
                continue;
            }

            if (relative.Length > 0)
            {
                return PoolJson.Relay(answer);
            }

            try
            {
                if (JsonNode.Parse(answer.Body) is JsonObject info)
                {
                    info["mode"] = "pool";
                    info["workers"] = workers.All.Count;
                    return PoolJson.Text(JsonText.Of(info));
                }
            }
            catch (JsonException)
            {
                continue;
            }
        }

        return relative.Length > 0
            ? PoolJson.Error(StatusCodes.Status503ServiceUnavailable, "no worker available", "no worker is healthy and verified now", TimeSpan.FromSeconds(10))
            : PoolJson.Text(JsonText.Of(new JsonObject { ["service"] = "sandrun", ["status"] = "running", ["mode"] = "pool", ["workers"] = workers.All.Count }));
    }
}
