using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /outputs/{id}: the job's output files with download URLs below the same prefix.</summary>
internal static class OutputsEndpoint
{
    public static IResult Get(HttpContext context, string jobId, JobEngine engine)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            return Downloads.NotFound(jobId);
        }

        var basePath = context.Request.PathBase + context.Request.Path.Value![..^($"/outputs/{jobId}".Length)];
        var outputs = job.Outputs.Select(o => new OutputListing(
            o.Path, o.SizeBytes, o.Sha256, o.Type, o.MimeType,
            $"{basePath}/download/{job.Id}/{string.Join('/', o.Path.Split('/').Select(Uri.EscapeDataString))}")).ToList();
        return ApiJson.Ok(new OutputsResponse(job.Id, FailureNames.For(job.Status), outputs, job.Notes), SandrunJsonContext.Default.OutputsResponse);
    }
}
