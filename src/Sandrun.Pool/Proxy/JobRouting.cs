using System.Net.WebSockets;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Pool.Jobs;
using Yarp.ReverseProxy.Forwarder;
using Microsoft.Extensions.DependencyInjection;

namespace Sandrun.Pool.Proxy;

/// <summary>
/// The step of YARP's pipeline that sends a per-job request (logs, streams, downloads) to the job's worker with the
/// worker's job id: unknown id → 404 JSON; a job still in the pool's queue → its stream waits for a worker, other
/// requests answer as a worker does for a queued job; the owning worker not usable → 503 with Retry-After.
/// After a complete <c>/download/{id}</c> (the worker deleted the job) the pool forgets the job too.
/// </summary>
internal static class JobRouting
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var coordinator = context.RequestServices.GetRequiredService<PoolCoordinator>();
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<PoolOptions>>().Value;
        var feature = context.GetReverseProxyFeature();
        var id = context.GetRouteValue("jobId") as string ?? "";
        if (coordinator.Store.Find(id) is not { } job)
        {
            if (context.WebSockets.IsWebSocketRequest)
            {
                // As a worker answers a stream of an unknown job (SPEC.md §2).
                using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
                await socket.SendAsync("[ERROR] Job not found"u8.ToArray(), WebSocketMessageType.Text, true, context.RequestAborted).ConfigureAwait(false);
                await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "job not found", context.RequestAborted).ConfigureAwait(false);
                return;
            }

            await Error(context, StatusCodes.Status404NotFound, "job not found", $"no job {Short(id)}").ConfigureAwait(false);
            return;
        }

        var routeId = feature.Route.Config.RouteId;
        if (job.State == PoolJobState.Queued && context.WebSockets.IsWebSocketRequest)
        {
            // A live stream of a job that waits for a worker starts once a worker has it.
            while (job.State == PoolJobState.Queued && !context.RequestAborted.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        if (job.Worker is not { } worker || job.WorkerJobId is not { } workerJobId)
        {
            await NotOnAWorker(context, job, routeId).ConfigureAwait(false);
            return;
        }

        if (worker.Quarantined)
        {
            await Error(context, StatusCodes.Status502BadGateway, "worker untrusted", $"a receipt of the worker that ran job {job.Id} did not verify; its output is not served").ConfigureAwait(false);
            return;
        }

        var destination = feature.AllDestinations.FirstOrDefault(d => d.DestinationId == worker.DestinationId);
        if (!worker.Usable || destination is null)
        {
            context.Response.Headers.RetryAfter = ((long)options.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Error(context, StatusCodes.Status503ServiceUnavailable, "worker unavailable",
                $"the worker that has job {job.Id} is not reachable or not verified now ({worker.LastError ?? "not yet probed"})", (long)options.RetryAfter.TotalSeconds).ConfigureAwait(false);
            return;
        }

        feature.AvailableDestinations = [destination];
        context.Request.RouteValues["workerJobId"] = workerJobId;
        await next().ConfigureAwait(false);

        if (routeId == "sandrun-pool-download-all" && context.Response.StatusCode == StatusCodes.Status200OK
            && context.Features.Get<IForwarderErrorFeature>() is null && !context.RequestAborted.IsCancellationRequested)
        {
            coordinator.Store.Forget(job.Id);
        }
    }

    /// <summary>A job no worker has: still queued at the pool, or ended by the pool before any worker took it.</summary>
    private static Task NotOnAWorker(HttpContext context, PoolJob job, string routeId)
    {
        if (routeId == "sandrun-pool-logs")
        {
            return TypedResults.Json(new LogsResponse("", "", false), SandrunJsonContext.Default.LogsResponse).ExecuteAsync(context);
        }

        return job.State == PoolJobState.Queued
            ? Error(context, StatusCodes.Status409Conflict, "job not finished", $"job {job.Id} is queued at the pool; its outputs exist once it has run")
            : Error(context, StatusCodes.Status404NotFound, "no output", $"job {job.Id} never ran on a worker; see /status/{job.Id}");
    }

    private static Task Error(HttpContext context, int status, string error, string details, long? retryAfter = null) =>
        TypedResults.Json(new ErrorResponse(error, details, retryAfter), SandrunJsonContext.Default.ErrorResponse, statusCode: status).ExecuteAsync(context);

    private static string Short(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
