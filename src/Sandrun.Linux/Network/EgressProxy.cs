using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;

namespace Sandrun.Linux.Network;

/// <summary>
/// The HTTP proxy that is a step's only way out: CONNECT tunnels (https) and absolute-URL forwarding (plain http), to
/// the allowed endpoints alone. It resolves names itself (the step has no resolvers), never connects to this host's
/// loopback for a name that is not itself a loopback one, and bounds connections, bytes and slow clients
/// (<see cref="EgressProxyOptions"/>). Refusals are counted and logged by kind, never with what the job asked for.
/// </summary>
internal sealed partial class EgressProxy : IDisposable
{
    private const int BufferBytes = 16 * 1024;
    private const int LingerBytes = 256 * 1024;
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);

    private readonly Socket listener;
    private readonly HashSet<EgressEndpoint> allowed;
    private readonly EgressProxyOptions options;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> sockets = new();
    private readonly int[] refusals = new int[Enum.GetValues<RefusalKind>().Length];
    private readonly Task accepting;
    private int open;
    private long connections;
    private long bytes;

    /// <summary>Serves <paramref name="listener"/> (bound and listening) until disposed.</summary>
    public EgressProxy(Socket listener, IEnumerable<EgressEndpoint> allowed, EgressProxyOptions options, ILogger logger)
    {
        this.listener = listener;
        this.allowed = [.. allowed];
        this.options = options;
        this.logger = logger;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        accepting = AcceptLoopAsync();
    }

    /// <summary>The listening port.</summary>
    public int Port { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Connections => Interlocked.Read(ref connections);

    /// <summary>Bytes relayed so far, both directions.</summary>
    public long Bytes => Interlocked.Read(ref bytes);

    /// <summary>How many requests were refused for <paramref name="kind"/>.</summary>
    public int Refused(RefusalKind kind) => Volatile.Read(ref refusals[(int)kind]);

    /// <summary>Stops accepting, closes every connection and waits briefly for the handlers to finish.</summary>
    public void Dispose()
    {
        stopping.Cancel();
        listener.Dispose();
        foreach (var socket in sockets.Keys)
        {
            socket.Dispose();
        }

        // Everything is closed already; the wait only lets the handlers' counts settle for the summary.
        SpinWait.SpinUntil(() => accepting.IsCompleted && Volatile.Read(ref open) == 0, TimeSpan.FromSeconds(2));
        var refused = refusals.Sum();
        if (Connections > 0)
        {
            LogSummary(logger, Connections, Bytes, refused);
        }

        stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref connections);
            Interlocked.Increment(ref open);
            sockets.TryAdd(client, 0);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        Socket? upstream = null;
        try
        {
            var (refusal, request, leftover) = await ReadRequestAsync(client).ConfigureAwait(false);
            if (request is not null)
            {
                (refusal, upstream) = await ConnectAsync(request.Target).ConfigureAwait(false);
            }

            if (refusal is not null)
            {
                await RefuseAsync(client, refusal).ConfigureAwait(false);
                return;
            }

            if (request!.IsTunnel)
            {
                await client.SendAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), SocketFlags.None, stopping.Token).ConfigureAwait(false);
            }
            else if (!await RelayAsync(request.ForwardHead(), upstream!).ConfigureAwait(false))
            {
                return;
            }

            if (await RelayAsync(leftover, upstream!).ConfigureAwait(false))
            {
                await TunnelAsync(client, upstream!).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The step ended or a side went away: the connection is over.
        }
        finally
        {
            Close(client);
            if (upstream is not null)
            {
                Close(upstream);
            }

            Interlocked.Decrement(ref open);
        }
    }

    /// <summary>Counts and answers a refusal, then closes the connection.</summary>
    private async Task RefuseAsync(Socket client, ProxyRefusal refusal)
    {
        Interlocked.Increment(ref refusals[(int)refusal.Kind]);
        LogRefused(logger, refusal.Kind);
        await client.SendAsync(refusal.Response(), SocketFlags.None, stopping.Token).ConfigureAwait(false);
        client.Shutdown(SocketShutdown.Send);

        // Closing with unread input would reset the connection, and the client might lose the answer: read on
        // briefly and boundedly, discarding, until it hangs up too.
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        linger.CancelAfter(LingerTime);
        var discard = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            for (var total = 0; total < LingerBytes;)
            {
                var read = await client.ReceiveAsync(discard.AsMemory(), SocketFlags.None, linger.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // The client neither read nor hung up in time: close anyway.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(discard);
        }
    }

    /// <summary>
    /// Reads and vets the request head: a refusal, or the request for an allowed endpoint and the bytes the client sent
    /// after its head (the start of a body or of the tunnelled stream).
    /// </summary>
    private async Task<(ProxyRefusal? Refusal, ProxyRequest? Request, ReadOnlyMemory<byte> Leftover)> ReadRequestAsync(Socket client)
    {
        if (Volatile.Read(ref open) > options.MaxConnections)
        {
            return (new(RefusalKind.TooManyConnections, "too many connections for this step"), null, default);
        }

        var buffer = new byte[ProxyRequest.MaxHeadBytes];
        var (refusal, length, headLength) = await ReadHeadAsync(client, buffer).ConfigureAwait(false);
        if (refusal is not null || !ProxyRequest.TryParse(buffer.AsSpan(0, headLength), out var request, out refusal))
        {
            return (refusal, null, default);
        }

        if (!allowed.Contains(request.Target))
        {
            return (new(RefusalKind.NotAllowed, request.Target + " is not an allowed endpoint"), null, default);
        }

        return Interlocked.Read(ref bytes) >= options.MaxBytes
            ? (new(RefusalKind.ByteBudget, "this step's transfer budget is spent"), null, default)
            : (null, request, buffer.AsMemory(headLength, length - headLength));
    }

    /// <summary>Reads until the blank line ending the head, within the head size and time limits.</summary>
    private async Task<(ProxyRefusal? Refusal, int Length, int HeadLength)> ReadHeadAsync(Socket client, byte[] buffer)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        deadline.CancelAfter(options.RequestHeadTimeout);
        var length = 0;
        try
        {
            while (true)
            {
                var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return (new(RefusalKind.Malformed, "the request head ended early"), 0, 0);
                }

                length += read;
                var head = ProxyRequest.HeadLength(buffer.AsSpan(0, length));
                if (head >= 0)
                {
                    return (null, length, head);
                }

                if (length == buffer.Length)
                {
                    return (new(RefusalKind.HeadTooLarge, "request head too large"), 0, 0);
                }
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return (new(RefusalKind.HeadTimeout, "the request head did not arrive in time"), 0, 0);
        }
    }

    /// <summary>Resolves an allowed endpoint and connects to it from the host namespace.</summary>
    private async Task<(ProxyRefusal? Failure, Socket? Upstream)> ConnectAsync(EgressEndpoint target)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        deadline.CancelAfter(options.ConnectTimeout);
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(target.Host, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return (new(RefusalKind.Unresolvable, target.Host + " does not resolve"), null);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return (new(RefusalKind.Unresolvable, target.Host + " did not resolve in time", TimedOut: true), null);
        }

        // Only a loopback name the operator listed may lead to this host itself.
        if (!target.IsLoopback)
        {
            addresses = [.. addresses.Where(a => !IsThisHost(a))];
            if (addresses.Length == 0)
            {
                return (new(RefusalKind.HostLocal, target.Host + " resolves to this host"), null);
            }
        }

        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        sockets.TryAdd(upstream, 0);
        try
        {
            await upstream.ConnectAsync(addresses, target.Port, deadline.Token).ConfigureAwait(false);
            return (null, upstream);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Close(upstream);
            if (stopping.IsCancellationRequested)
            {
                throw;
            }

            return (new(RefusalKind.Unreachable, "cannot connect to " + target, TimedOut: e is OperationCanceledException), null);
        }
    }

    private static bool IsThisHost(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
    }

    /// <summary>Relays both ways until both sides are done; an error or the byte budget ends both.</summary>
    private async Task TunnelAsync(Socket client, Socket upstream)
    {
        var up = PumpAsync(client, upstream);
        var down = PumpAsync(upstream, client);
        if (!await (await Task.WhenAny(up, down).ConfigureAwait(false)).ConfigureAwait(false))
        {
            Close(client);
            Close(upstream);
        }

        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/>; true when it ended with a clean end of stream.</summary>
    private async Task<bool> PumpAsync(Socket from, Socket to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, stopping.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return true;
                }

                if (!await RelayAsync(buffer.AsMemory(0, read), to).ConfigureAwait(false))
                {
                    return false;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends bytes the proxy already holds, within the byte budget; false when the budget is spent.</summary>
    private async Task<bool> RelayAsync(ReadOnlyMemory<byte> data, Socket to)
    {
        if (Interlocked.Add(ref bytes, data.Length) > options.MaxBytes)
        {
            Interlocked.Increment(ref refusals[(int)RefusalKind.ByteBudget]);
            LogRefused(logger, RefusalKind.ByteBudget);
            return false;
        }

        if (!data.IsEmpty)
        {
            await to.SendAsync(data, SocketFlags.None, stopping.Token).ConfigureAwait(false);
        }

        return true;
    }

    private void Close(Socket socket)
    {
        sockets.TryRemove(socket, out _);
        socket.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Egress proxy refused a request: {Kind}")]
    private static partial void LogRefused(ILogger logger, RefusalKind kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Egress proxy of a step closed: {Connections} connections, {Bytes} bytes relayed, {Refused} refused")]
    private static partial void LogSummary(ILogger logger, long connections, long bytes, int refused);
}
