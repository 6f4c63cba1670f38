using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>POST /submit: the multipart upload and manifest, admitted by the engine or refused with the reason.</summary>
internal static class SubmitEndpoint
{
    public static async Task<IResult> PostAsync(HttpContext context, JobEngine engine, SandrunClientAddress clients, IOptions<SandrunOptions> options)
    {
        var limits = options.Value.Limits;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // Room for multipart framing and the manifest on top of the file bytes.
            size.MaxRequestBodySize = limits.MaxUploadBytes + (2 << 20);
        }

        try
        {
            var (parts, manifest) = await MultipartUpload.ReadAsync(context.Request, limits.MaxUploadBytes, context.RequestAborted).ConfigureAwait(false);
            var (id, position) = await engine.SubmitAsync(new SubmitRequest(clients.Resolve(context), parts, manifest), context.RequestAborted).ConfigureAwait(false);
            return ApiJson.Ok(new SubmitResponse(id, "queued", position), SandrunJsonContext.Default.SubmitResponse);
        }
        catch (SubmitException e)
        {
            return Refusals.Answer(e);
        }
        catch (BadHttpRequestException e)
        {
            return Refusals.Answer(e.StatusCode == StatusCodes.Status413PayloadTooLarge ? SubmitRefusal.UploadTooLarge : SubmitRefusal.InvalidUpload, e.Message);
        }
        catch (IOException e) when (e.InnerException is null && !context.RequestAborted.IsCancellationRequested)
        {
            // Malformed multipart framing (e.g. a body that ends mid-section).
            return Refusals.Answer(SubmitRefusal.InvalidUpload, e.Message);
        }
    }
}
