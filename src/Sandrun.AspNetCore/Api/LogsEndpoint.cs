using System.Text;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /logs/{id}: the output so far, interleaved as text, or each stream on its own as JSON (<c>Accept: application/json</c>).</summary>
internal static class LogsEndpoint
{
    public static IResult Get(HttpContext context, string jobId, JobEngine engine)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            return Downloads.NotFound(jobId);
        }

        var (all, stdout, stderr) = job.Log.Snapshot();
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return ApiJson.Ok(new LogsResponse(Encoding.UTF8.GetString(stdout), Encoding.UTF8.GetString(stderr), job.Log.Truncated), SandrunJsonContext.Default.LogsResponse);
        }

        return TypedResults.Bytes(all, "text/plain; charset=utf-8");
    }
}
