using System.Text.Json.Nodes;
using Sandrun.AspNetCore;
using Sandrun.Pool.Jobs;
using Sandrun.Pool.Proxy;
using Sandrun.Pool.Workers;

namespace Sandrun.Pool.Api;

/// <summary>GET /outputs/{id} through the pool: the worker's list with the pool's id, status and download URLs.</summary>
internal static class PoolOutputsEndpoint
{
    public static async Task<IResult> GetAsync(HttpContext context, string jobId, PoolCoordinator coordinator, WorkerClient workers, SandrunClientAddress clients, PoolRoutes routes)
    {
        if (coordinator.Store.Find(jobId) is not { } job)
        {
            return PoolJson.Error(StatusCodes.Status404NotFound, "job not found", $"no job {(jobId.Length <= 80 ? jobId : jobId[..80] + "…")}");
        }

        if (job.Worker is not { } worker || job.WorkerJobId is not { } workerJobId)
        {
            var status = job.State == PoolJobState.Queued ? "queued" : "failed";
            return PoolJson.Text(JsonText.Of(new JsonObject
            {
                ["job_id"] = job.Id, ["status"] = status, ["outputs"] = new JsonArray(), ["total_files"] = 0, ["files"] = new JsonArray(),
            }));
        }

        var answer = await PoolStatusEndpoint.Ask(context, coordinator, workers, job, worker, $"outputs/{Uri.EscapeDataString(workerJobId)}", clients.Resolve(context)).ConfigureAwait(false);
        if (answer is IResult problem)
        {
            return problem;
        }

        var outputs = (JsonObject)answer;
        outputs["job_id"] = job.Id;
        if (job.FinalStatus is { } final && JsonNode.Parse(final)?["status"] is JsonNode finalStatus)
        {
            outputs["status"] = finalStatus.DeepClone();
        }

        var poolDownload = $"{context.Request.PathBase}{routes.Prefix}/download/{Uri.EscapeDataString(job.Id)}";
        var workerDownload = $"/download/{Uri.EscapeDataString(workerJobId)}";
        foreach (var list in new[] { outputs["outputs"], outputs["files"] })
        {
            foreach (var file in (list as JsonArray ?? []).OfType<JsonObject>())
            {
                if (file["download_url"] is JsonValue url && url.TryGetValue<string>(out var text) && text.IndexOf(workerDownload, StringComparison.Ordinal) is var at and >= 0)
                {
                    file["download_url"] = poolDownload + text[(at + workerDownload.Length)..];
                }
            }
        }

        return PoolJson.Text(JsonText.Of(outputs));
    }
}
