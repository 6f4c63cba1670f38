using System.Net.WebSockets;

namespace Sandrun.Pool.Tests;

/// <summary>
/// A live stream through the pool outlasts YARP's default 100 s activity timeout while a job prints nothing
/// (the pool's StreamActivityTimeout is longer than any job; workers ping every 30 s).
/// </summary>
public sealed class SilentStreamTests
{
    [Fact]
    public async Task A_stream_of_a_job_silent_for_longer_than_100_seconds_is_not_cut()
    {
        await using var worker = await WorkerProcess.StartAsync();
        await using var pool = await PoolHost.StartAsync([(worker.WorkerId, worker.Endpoint, 2)]);
        await pool.WaitForWorkersAsync(true, worker.Endpoint);
        var id = await pool.Client.SubmitOkAsync(
            new Dictionary<string, string> { ["main.py"] = "import time\nprint('before', flush=True)\ntime.sleep(105)\nprint('after')\n" },
            """{"entrypoint":"main.py","timeout":200}""");
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(EndpointTests.WebSocketUri(pool, $"/logs/{id}/stream"), CancellationToken.None);
        var frames = new List<string>();
        while (await EndpointTests.ReceiveAsync(socket) is { } frame)
        {
            frames.Add(frame);
        }

        Assert.Contains("after", string.Concat(frames), StringComparison.Ordinal);
        Assert.Equal("[DONE] completed exit=0", frames[^1]);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }
}
