using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.AspNetCore.Health;
using Sandrun.Receipts;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// GET /health: <c>{status:"healthy", worker_id}</c> while jobs can run, 503 <c>unhealthy</c> with the reason otherwise.
/// A request carrying <c>Sandrun-Challenge</c> gets <c>Sandrun-Challenge-Signature</c> when this worker has a key (SPEC.md §7).
/// </summary>
internal static class HealthEndpoint
{
    public static async Task<IResult> GetAsync(HttpContext context, HealthCheckService health, [FromServices] IResultSigner? signer, CancellationToken cancellationToken)
    {
        if (signer is not null && WorkerChallenge.Answer(signer, context.Request.Headers[SandrunChallengeHeaders.Challenge].ToString()) is { } answer)
        {
            context.Response.Headers[SandrunChallengeHeaders.Signature] = answer;
        }

        var report = await health.CheckHealthAsync(r => r.Tags.Contains(SandboxHealthCheck.Tag), cancellationToken).ConfigureAwait(false);
        var worker = signer?.WorkerId;
        return report.Status == HealthStatus.Healthy
            ? ApiJson.Ok(new HealthResponse("healthy", worker), SandrunJsonContext.Default.HealthResponse)
            : TypedResults.Json(
                new HealthResponse("unhealthy", worker, string.Join("; ", report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description))),
                SandrunJsonContext.Default.HealthResponse,
                statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
