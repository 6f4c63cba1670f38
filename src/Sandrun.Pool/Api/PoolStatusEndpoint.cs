using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using System.Text.Json.Nodes;
using Sandrun.AspNetCore;
using Sandrun.Pool.Jobs;
using Sandrun.Pool.Workers;

namespace Sandrun.Pool.Api;

/// <summary>
/// GET /status/{id} through the pool: the pool's queue position while queued; while placed, the worker's running status
/// as the pool's tracker last saw it (it follows every job with a held request, so it learns of the end at once) or,
/// before the first answer or while the worker queues it, the worker's status asked now; once final, the status whose
/// receipt the pool checked. <c>?wait=S</c> holds the answer until the job ends, as on a server.
/// </summary>
internal static class PoolStatusEndpoint
{
    public static async Task<IResult> GetAsync(
        HttpContext context, string jobId, PoolCoordinator coordinator, WorkerClient workers, SandrunClientAddress clients, IHostApplicationLifetime lifetime)
    {
        if (!SandrunStatusWait.TryParse(context.Request.Query["wait"].ToString(), out var wait, out var error))
        {
            return PoolJson.Error(StatusCodes.Status400BadRequest, "invalid wait", error!);
        }

        if (coordinator.Store.Find(jobId) is not { } job)
        {
            return PoolJson.Error(StatusCodes.Status404NotFound, "job not found", $"no job {Short(jobId)}");
        }

        if (wait > TimeSpan.Zero && job.FinalStatus is null)
        {
            await SandrunStatusWait.HoldAsync(job.Ended, wait, context.RequestAborted, lifetime.ApplicationStopping).ConfigureAwait(false);
        }

        if (job.FinalStatus is { } final)
        {
            return PoolJson.Text(final);
        }

        if (job.State == PoolJobState.Queued || job.Worker is not { } worker)
        {
            return PoolJson.Text(JsonText.Of(StatusDocuments.Queued(job, coordinator.Store.PositionOf(job))));
        }

        if (job.RunningStatus is { } running && worker.Usable)
        {
            return PoolJson.Text(running);
        }

        var answer = await Ask(context, coordinator, workers, job, worker, $"status/{Uri.EscapeDataString(job.WorkerJobId!)}", clients.Resolve(context)).ConfigureAwait(false);
        if (answer is IResult problem)
        {
            return problem;
        }

        return PoolJson.Text(coordinator.Observe(job, (JsonObject)answer));
    }

    /// <summary>
    /// GETs a per-job JSON document from the job's worker: the parsed object, or the answer to give the client
    /// (503 + Retry-After when the worker cannot be asked; the job's final status when it was lost meanwhile).
    /// </summary>
    public static async Task<object> Ask(HttpContext context, PoolCoordinator coordinator, WorkerClient workers, PoolJob job, PoolWorker worker, string relative, string client)
    {
        var retry = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<PoolOptions>>().Value.RetryAfter;
        if (worker.Quarantined)
        {
            return PoolJson.Error(StatusCodes.Status502BadGateway, "worker untrusted", $"a receipt of the worker that ran job {job.Id} did not verify; its answers are not served");
        }

        if (!worker.Usable)
        {
            return PoolJson.Error(StatusCodes.Status503ServiceUnavailable, "worker unavailable", $"the worker that has job {job.Id} is not reachable or not verified now ({worker.LastError ?? "not yet probed"})", retry);
        }

        WorkerAnswer answer;
        try
        {
            answer = await workers.GetAsync(worker, relative, client, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            coordinator.Unreachable(worker, e);
            return job.FinalStatus is { } final ? PoolJson.Text(final) : PoolJson.Error(StatusCodes.Status503ServiceUnavailable, "worker unavailable", e.Message, retry);
        }
        catch (TaskCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return PoolJson.Error(StatusCodes.Status503ServiceUnavailable, "worker unavailable", $"the worker that has job {job.Id} did not answer in time", retry);
        }

        if (answer.StatusCode == StatusCodes.Status404NotFound)
        {
            coordinator.Lose(job, $"the worker at {worker.Endpoint} no longer knows job {job.WorkerJobId} (it restarted or deleted it)");
            return PoolJson.Text(job.FinalStatus!);
        }

        try
        {
            return answer.StatusCode == StatusCodes.Status200OK && JsonNode.Parse(answer.Body) is JsonObject document ? document : PoolJson.Relay(answer);
        }
        catch (JsonException)
        {
            return PoolJson.Error(StatusCodes.Status502BadGateway, "bad worker answer", $"the worker that has job {job.Id} answered with invalid JSON");
        }
    }

    private static string Short(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
