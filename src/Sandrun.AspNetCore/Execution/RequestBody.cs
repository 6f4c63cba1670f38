using Microsoft.AspNetCore.Http.Features;

namespace Sandrun.AspNetCore.Execution;

/// <summary>Reads a JSON request body into memory, refusing one over the limit as it streams in.</summary>
internal static class RequestBody
{
    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContext context, long maxBytes, CancellationToken cancellationToken)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes + 1;
        }

        if (context.Request.ContentLength > maxBytes)
        {
            throw new OneCallRequestException("body", $"is {context.Request.ContentLength} bytes; the limit is {maxBytes}", tooLarge: true);
        }

        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        try
        {
            while ((n = await context.Request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > maxBytes)
                {
                    throw new OneCallRequestException("body", $"is larger than the limit of {maxBytes} bytes", tooLarge: true);
                }

                buffer.Write(chunk, 0, n);
            }
        }
        catch (BadHttpRequestException e)
        {
            throw new OneCallRequestException("body", e.Message, tooLarge: e.StatusCode == StatusCodes.Status413PayloadTooLarge);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }
}
