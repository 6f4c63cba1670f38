using Microsoft.Net.Http.Headers;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// GET /logs/{id}: the output so far as JSON <c>{stdout, stderr, truncated}</c> (as the original server answered, whose
/// clients parse it), or as text/plain with both streams interleaved in arrival order when the request asks for it with
/// <c>?format=text</c> or an <c>Accept</c> header that prefers <c>text/plain</c> to JSON.
/// </summary>
internal static class LogsEndpoint
{
    public static IResult Get(HttpContext context, string jobId, JobEngine engine)
    {
        var format = context.Request.Query["format"].ToString();
        if (format.Length > 0 && format is not ("text" or "json"))
        {
            return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid format", $"format must be 'json' (the default) or 'text', not '{(format.Length <= 32 ? format : format[..32] + "…")}'");
        }

        if (!engine.TryGet(jobId, out var job))
        {
            return Downloads.NotFound(jobId);
        }

        IEnumerable<LogChunk> output;
        try
        {
            output = job.Log.ReadSoFar();
        }
        catch (ObjectDisposedException)
        {
            // Deleted since it was looked up.
            return Downloads.NotFound(jobId);
        }

        return new StreamedLogs(output, job.Log.Truncated, text: format == "text" || (format.Length == 0 && PrefersText(context.Request)));
    }

    /// <summary>Whether <c>Accept</c> names <c>text/plain</c> with a higher quality than any JSON type (wildcards do not count).</summary>
    private static bool PrefersText(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return false;
        }

        double text = -1, json = -1;
        foreach (var type in accepted)
        {
            var quality = type.Quality ?? 1.0;
            if (type.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                text = Math.Max(text, quality);
            }
            else if (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                json = Math.Max(json, quality);
            }
        }

        return text > 0 && text > json;
    }
}
