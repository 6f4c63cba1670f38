using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sandrun.Linux.Tests;

/// <summary>A TCP server on the host's 127.0.0.1: answers a plain-http GET with 200 (keeping its head), echoes anything else.</summary>
internal sealed class LoopbackUpstream : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private int accepted;
    private int closed;

    public LoopbackUpstream()
    {
        listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref accepted);

    public int Closed => Volatile.Read(ref closed);

    public string LastHead { get; private set; } = string.Empty;

    public void Dispose()
    {
        stop.Cancel();
        listener.Dispose();
        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref accepted);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            var buffer = new byte[64 * 1024];
            var received = new StringBuilder();
            try
            {
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
                {
                    received.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    if (received.ToString().StartsWith("GET ", StringComparison.Ordinal))
                    {
                        if (received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            LastHead = received.ToString();
                            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), SocketFlags.None);
                            break;
                        }
                    }
                    else
                    {
                        await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }

            Interlocked.Increment(ref closed);
        }
    }
}
