using System.Text;
using System.Text.Json;
using Sandrun.Abstractions;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// A job's output written straight from its log files into the response, 64 KiB at a time, so a 10 MiB log costs the
/// server a chunk, not a copy per stream, a string and its JSON: as text (both streams as they arrived, the bytes as
/// they are), or as the <c>{stdout, stderr, truncated}</c> JSON <see cref="Contracts.LogsResponse"/> describes, each
/// stream decoded as <see cref="Encoding.UTF8"/> decodes it whole (invalid sequences replaced, even across chunks).
/// </summary>
internal sealed class StreamedLogs(IEnumerable<LogChunk> output, bool truncated, bool text) : IResult
{
    // The log's own chunk size: the JSON writer's buffer is flushed at about one chunk.
    private const int Chunk = 64 * 1024;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var ct = httpContext.RequestAborted;
        if (text)
        {
            response.ContentType = "text/plain; charset=utf-8";
            foreach (var chunk in output)
            {
                await response.Body.WriteAsync(chunk.Data, ct).ConfigureAwait(false);
            }

            return;
        }

        response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(Chunk)];
        foreach (var (name, stream) in new[] { ("stdout", SandboxStream.Stdout), ("stderr", SandboxStream.Stderr) })
        {
            json.WritePropertyName(name);
            var decoder = Encoding.UTF8.GetDecoder();
            foreach (var chunk in output.Where(c => c.Stream == stream))
            {
                json.WriteStringValueSegment(chars.AsSpan(0, decoder.GetChars(chunk.Data, chars, flush: false)), isFinalSegment: false);
                if (json.BytesPending > Chunk)
                {
                    await json.FlushAsync(ct).ConfigureAwait(false);
                }
            }

            json.WriteStringValueSegment(chars.AsSpan(0, decoder.GetChars([], chars, flush: true)), isFinalSegment: true);
        }

        json.WriteBoolean("truncated", truncated);
        json.WriteEndObject();
        await json.FlushAsync(ct).ConfigureAwait(false);
    }
}
