using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Sandrun.Cli.Client;

/// <summary>
/// A job's output as it is produced: the server's WebSocket stream (<c>/logs/{id}/stream?format=json</c>), each
/// chunk written to the matching local stream. A server without streams (a broker) is polled instead, and its output
/// printed once the job has ended.
/// </summary>
internal static class JobOutput
{
    private static readonly string[] FinalStatuses = ["completed", "failed"];

    /// <summary>
    /// Writes the job's output until it ends; returns its final <c>/status</c> document. <c>onActivity</c> is called
    /// before the first output is written, so that a progress line can make room.
    /// </summary>
    public static async Task<JsonElement> FollowAsync(SandrunServer server, string jobId, TextWriter stdout, TextWriter stderr, Action onActivity, CancellationToken ct)
    {
        if (!await StreamAsync(server, jobId, stdout, stderr, onActivity, ct).ConfigureAwait(false))
        {
            var final = await WaitAsync(server, jobId, ct).ConfigureAwait(false);
            onActivity();
            await WriteLogsAsync(server, jobId, stdout, stderr, ct).ConfigureAwait(false);
            return final;
        }

        return await server.GetJsonAsync(SandrunServer.JobPath("status", jobId), ct).ConfigureAwait(false);
    }

    /// <summary>Polls <c>/status</c> until the job has ended.</summary>
    public static async Task<JsonElement> WaitAsync(SandrunServer server, string jobId, CancellationToken ct, Action<JsonElement>? onStatus = null)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var status = await server.GetJsonAsync(SandrunServer.JobPath("status", jobId), ct).ConfigureAwait(false);
            if (FinalStatuses.Contains(status.GetProperty("status").GetString()))
            {
                return status;
            }

            onStatus?.Invoke(status);
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>
    /// The output so far, each stream to its own writer: <c>/logs</c> as JSON on a server or pool, the original
    /// broker's <c>/results</c> on a broker.
    /// </summary>
    public static async Task WriteLogsAsync(SandrunServer server, string jobId, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var logs = await server.TryGetJsonAsync(SandrunServer.JobPath("logs", jobId), ct).ConfigureAwait(false)
            ?? await server.TryGetJsonAsync(SandrunServer.JobPath("results", jobId), ct).ConfigureAwait(false)
            ?? throw new CliException($"no job {jobId} on {server.BaseAddress} (it may have expired or been downloaded)");
        await stdout.WriteAsync(JsonFields.Text(logs, "stdout") ?? "").ConfigureAwait(false);
        await stdout.FlushAsync(ct).ConfigureAwait(false);
        await stderr.WriteAsync(JsonFields.Text(logs, "stderr") ?? "").ConfigureAwait(false);
        await stderr.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>False when the server has no stream for jobs (it answered the upgrade with 404 or 405).</summary>
    private static async Task<bool> StreamAsync(SandrunServer server, string jobId, TextWriter stdout, TextWriter stderr, Action onActivity, CancellationToken ct)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try
        {
            await socket.ConnectAsync(server.WebSocketUri(SandrunServer.JobPath("logs", jobId) + "/stream?format=json"), ct).ConfigureAwait(false);
        }
        catch (WebSocketException) when (socket.HttpStatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return false;
        }
        catch (WebSocketException e)
        {
            throw new CliException($"cannot stream the output of {jobId} from {server.BaseAddress}: {e.Message}");
        }

        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        var wrote = false;
        while (true)
        {
            WebSocketReceiveResult received;
            try
            {
                received = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                throw new CliException($"the output stream of {jobId} broke before the job ended: {e.Message}");
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new CliException($"the server closed the output stream of {jobId} before the job ended ({received.CloseStatusDescription})");
            }

            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage)
            {
                continue;
            }

            var frame = ParseFrame(message.ToArray());
            message.SetLength(0);
            switch (frame.Type)
            {
                case "stdout" or "stderr":
                    if (!wrote)
                    {
                        onActivity();
                        wrote = true;
                    }

                    var writer = frame.Type == "stdout" ? stdout : stderr;
                    await writer.WriteAsync(frame.Data).ConfigureAwait(false);
                    await writer.FlushAsync(ct).ConfigureAwait(false);
                    break;
                case "error":
                    throw new CliException($"no job {jobId} on {server.BaseAddress}: {frame.Data}");
                case "done":
                    onActivity();
                    await CloseQuietlyAsync(socket).ConfigureAwait(false);
                    return true;
            }
        }
    }

    private static (string Type, string Data) ParseFrame(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            var type = root.GetProperty("type").GetString() ?? "";
            var data = JsonFields.Text(root, "data") ?? "";
            return (type, data);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CliException($"the server sent a stream frame that is not Sandrun's JSON: {Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 120))}");
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The output is complete; how the socket ends no longer matters.
        }
    }
}
