using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// WebSocket /logs/{id}/stream: everything produced so far, then output as it is produced, then
/// <c>[DONE] status exit=code</c> and close 1000. <c>?format=json</c> sends {"type","data"} frames.
/// Chunks are decoded per stream with a stateful UTF-8 decoder, so split multi-byte characters survive.
/// </summary>
internal static class LogStreaming
{
    public static async Task StreamAsync(HttpContext context, JobEngine engine, string jobId)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await NotWebSocket(context).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var json = string.Equals(context.Request.Query["format"], "json", StringComparison.OrdinalIgnoreCase);
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var ct = context.RequestAborted;
        if (!engine.TryGet(jobId, out var job))
        {
            await SendAsync(socket, json ? Frame("error", "Job not found") : "[ERROR] Job not found", ct).ConfigureAwait(false);
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "job not found", ct).ConfigureAwait(false);
            return;
        }

        if (json)
        {
            await SendAsync(socket, Frame("status", FailureNames.For(job.Status)), ct).ConfigureAwait(false);
        }

        var decoders = new Dictionary<SandboxStream, Decoder> { [SandboxStream.Stdout] = Encoding.UTF8.GetDecoder(), [SandboxStream.Stderr] = Encoding.UTF8.GetDecoder() };
        using (var subscription = job.Log.Subscribe())
        {
            await foreach (var chunk in subscription.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                var text = Decode(decoders[chunk.Stream], chunk.Data);
                if (text.Length > 0)
                {
                    await SendAsync(socket, json ? Frame(chunk.Stream == SandboxStream.Stdout ? "stdout" : "stderr", text) : text, ct).ConfigureAwait(false);
                }
            }
        }

        await job.Completion.WaitAsync(ct).ConfigureAwait(false);
        var exit = job.Result?.ExitCode;
        var done = json
            ? JsonSerializer.Serialize(new DoneFrame("done", new DoneData(FailureNames.For(job.Status), exit, FailureNames.For(job.FailureReason))), SandrunJsonContext.Default.DoneFrame)
            : $"[DONE] {FailureNames.For(job.Status)} exit={(exit is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}";
        await SendAsync(socket, done, ct).ConfigureAwait(false);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A plain request is the client's mistake (400); an upgrade request the app could not upgrade means the WebSocket
    /// middleware is missing, which only the app's author can fix (500 saying how).
    /// </summary>
    private static IResult NotWebSocket(HttpContext context)
    {
        var upgrade = context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase)
            || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;
        return upgrade && context.Features.Get<IHttpWebSocketFeature>() is null
            ? ApiJson.Error(StatusCodes.Status500InternalServerError, "websockets not enabled",
                "this app does not accept WebSocket connections: its Program.cs must call app.UseWebSockets() before app.MapSandrun()")
            : ApiJson.Error(StatusCodes.Status400BadRequest, "websocket required", "connect with a WebSocket client (Upgrade: websocket)");
    }

    private static string Frame(string type, string data) => JsonSerializer.Serialize(new StreamFrame(type, data), SandrunJsonContext.Default.StreamFrame);

    private static string Decode(Decoder decoder, byte[] data)
    {
        var chars = new char[decoder.GetCharCount(data, flush: false)];
        var n = decoder.GetChars(data, chars, flush: false);
        return new string(chars, 0, n);
    }

    private static Task SendAsync(WebSocket socket, string text, CancellationToken ct) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct);
}
