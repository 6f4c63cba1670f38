using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Pool.Jobs;
using Sandrun.Quotas;

namespace Sandrun.Pool.Api;

/// <summary>
/// POST /submit through the pool: the client's quota (per client address, as a worker counts it), the body spooled
/// once, then placed on a worker (its refusal of the job itself passed on) or queued.
/// </summary>
internal static class PoolSubmitEndpoint
{
    public static async Task<IResult> PostAsync(
        HttpContext context, PoolCoordinator coordinator, UploadSpool spool, ClientQuotas quotas, SandrunClientAddress clients, IOptions<PoolOptions> options)
    {
        var contentType = context.Request.ContentType;
        if (contentType is null || !contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return PoolJson.Error(StatusCodes.Status400BadRequest, "invalid upload", "the body must be multipart/form-data with 'files' parts and a 'manifest' part");
        }

        var client = clients.Resolve(context);
        var admission = quotas.TryAdmit(client);
        if (!admission.Allowed)
        {
            return PoolJson.Error(StatusCodes.Status429TooManyRequests, "quota exceeded", admission.Reason ?? "quota exceeded", admission.RetryAfter);
        }

        var ended = true;
        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = spool.Limit + 1;
            }

            SpooledUpload? upload;
            try
            {
                upload = await spool.SpoolAsync(context.Request.Body, contentType, context.RequestAborted).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                return PoolJson.Error(e.StatusCode, "invalid upload", e.Message);
            }

            if (upload is null)
            {
                return PoolJson.Error(StatusCodes.Status413PayloadTooLarge, "upload too large", $"the request body is over {spool.Limit} bytes");
            }

            // Not cancelled when the client leaves: a job a worker accepts is recorded (each attempt is bounded by WorkerRequestTimeout).
            var outcome = await coordinator.SubmitAsync(client, upload, CancellationToken.None).ConfigureAwait(false);
            if (outcome.JobId is { } id)
            {
                ended = false;
                return TypedResults.Json(new SubmitResponse(id, "queued", outcome.Position), SandrunJsonContext.Default.SubmitResponse);
            }

            return outcome.Refusal is { } refusal
                ? PoolJson.Relay(refusal)
                : PoolJson.Error(StatusCodes.Status503ServiceUnavailable, "queue full", $"{options.Value.QueueCapacity} jobs are waiting for a worker", options.Value.RetryAfter);
        }
        finally
        {
            if (ended)
            {
                quotas.JobEnded(client);
            }
        }
    }
}
