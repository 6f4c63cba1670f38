using System.Text;
using System.Text.Json;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// GET /logs/{id}/events: a job's output as server-sent events (<c>text/event-stream</c>), the transport beside the
/// WebSocket for <c>curl -N</c> and <c>EventSource</c>: <c>event: status</c> first, then <c>event: stdout</c> /
/// <c>event: stderr</c> with the output so far and then as it is produced, and last <c>event: done</c> with
/// <c>{"status","exit_code","failure_reason"}</c> (the WebSocket's <c>[DONE]</c>), after which the stream ends.
/// A chunk's lines are the event's <c>data:</c> lines, so a client's joined data is the chunk with its line ends as LF.
/// </summary>
internal static class LogEvents
{
    public static async Task StreamAsync(HttpContext context, JobEngine engine, string jobId)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            await Downloads.NotFound(jobId).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var ct = context.RequestAborted;
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            await WriteAsync(response, "status", FailureNames.For(job.Status), ct).ConfigureAwait(false);
            var decoders = new Dictionary<SandboxStream, Decoder> { [SandboxStream.Stdout] = Encoding.UTF8.GetDecoder(), [SandboxStream.Stderr] = Encoding.UTF8.GetDecoder() };

            // A CR that ends a chunk is held back until the stream's next chunk says whether it began a CRLF.
            var heldCr = new Dictionary<SandboxStream, bool> { [SandboxStream.Stdout] = false, [SandboxStream.Stderr] = false };
            using (var subscription = job.Log.Subscribe())
            {
                await foreach (var chunk in subscription.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    var decoder = decoders[chunk.Stream];
                    var chars = new char[decoder.GetCharCount(chunk.Data, flush: false)];
                    var text = (heldCr[chunk.Stream] ? "\r" : string.Empty) + new string(chars, 0, decoder.GetChars(chunk.Data, chars, flush: false));
                    heldCr[chunk.Stream] = text.EndsWith('\r');
                    text = heldCr[chunk.Stream] ? text[..^1] : text;
                    if (text.Length > 0)
                    {
                        await WriteAsync(response, Name(chunk.Stream), text, ct).ConfigureAwait(false);
                    }
                }
            }

            foreach (var (stream, held) in heldCr)
            {
                if (held)
                {
                    await WriteAsync(response, Name(stream), "\n", ct).ConfigureAwait(false);
                }
            }

            await job.Completion.WaitAsync(ct).ConfigureAwait(false);
            var done = new DoneData(FailureNames.For(job.Status), job.Result?.ExitCode, FailureNames.For(job.FailureReason));
            await WriteAsync(response, "done", JsonSerializer.Serialize(done, SandrunJsonContext.Default.DoneData), ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; the job goes on.
        }
    }

    private static string Name(SandboxStream stream) => stream == SandboxStream.Stdout ? "stdout" : "stderr";

    private static async Task WriteAsync(HttpResponse response, string name, string data, CancellationToken ct)
    {
        var builder = new StringBuilder("event: ").Append(name).Append('\n');
        // CR, LF and CRLF all end a line in an event stream: each line of the text is one data line.
        foreach (var line in data.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n'))
        {
            builder.Append("data: ").Append(line).Append('\n');
        }

        builder.Append('\n');
        await response.WriteAsync(builder.ToString(), ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
