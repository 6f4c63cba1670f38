using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;
using Sandrun.Linux.Network;

namespace Sandrun.Linux.Tests;

/// <summary>
/// The egress proxy against hostile clients, on the host's loopback: only listed endpoints, clean refusals for
/// anything malformed, oversized, slow or over budget, and nothing left open once it is disposed.
/// </summary>
public sealed class EgressProxyTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly LoopbackUpstream upstream = new();
    private readonly TcpListener other = new(IPAddress.Loopback, 0);

    public EgressProxyTests() => other.Start();

    public void Dispose()
    {
        upstream.Dispose();
        other.Dispose();
    }

    [Fact]
    public async Task A_tunnel_to_a_listed_endpoint_relays_both_ways()
    {
        using var proxy = Start();
        using var client = await ConnectAsync(proxy);
        await SendAsync(client, $"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1\r\nHost: 127.0.0.1:{upstream.Port}\r\n\r\nhello");
        var reply = await ReadAsync(client, "hello".Length + "HTTP/1.1 200 Connection established\r\n\r\n".Length);
        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\nhello", reply);
        Assert.Equal(1, upstream.Accepted);
    }

    [Fact]
    public async Task A_plain_http_request_is_forwarded_in_origin_form_without_proxy_headers()
    {
        using var proxy = Start();
        var response = await ExchangeAsync(proxy,
            $"GET http://127.0.0.1:{upstream.Port}/simple/pkg/?q=1 HTTP/1.1\r\nHost: evil.example\r\nProxy-Authorization: Basic c2VjcmV0\r\n"
            + "Connection: keep-alive, X-Drop\r\nX-Drop: 1\r\nAccept: */*\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
        var head = upstream.LastHead;
        Assert.StartsWith("GET /simple/pkg/?q=1 HTTP/1.1\r\n", head, StringComparison.Ordinal);
        Assert.Contains($"Host: 127.0.0.1:{upstream.Port}\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Accept: */*\r\n", head, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", head, StringComparison.Ordinal);
        Assert.DoesNotContain("Proxy-Authorization", head, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Drop", head, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", head, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CONNECT 127.0.0.1:{other} HTTP/1.1")] // another port on the host's loopback
    [InlineData("GET http://127.0.0.1:{other}/health HTTP/1.1")]
    [InlineData("CONNECT localhost:{allowed} HTTP/1.1")] // a name for the listed address, but not the listed name
    [InlineData("CONNECT [::1]:{allowed} HTTP/1.1")] // IPv6 loopback
    [InlineData("CONNECT [::ffff:127.0.0.1]:{allowed} HTTP/1.1")] // IPv4-mapped spelling of the listed address
    [InlineData("CONNECT 0.0.0.0:{allowed} HTTP/1.1")] // "this host"
    [InlineData("CONNECT 127.0.0.2:{allowed} HTTP/1.1")]
    [InlineData("CONNECT pypi.org:443 HTTP/1.1")]
    public async Task Anything_not_listed_is_refused_with_403_and_never_connected(string line)
    {
        using var proxy = Start();
        await AssertRefusedAsync(proxy, Fill(line) + "\r\nHost: x\r\n\r\n", "403 Forbidden", RefusalKind.NotAllowed);
        Assert.False(other.Pending());
    }

    [Theory]
    [InlineData("CONNECT\r\n\r\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n")] // no port
    [InlineData("CONNECT 127.0.0.1:{allowed}  HTTP/1.1\r\n\r\n")] // two spaces
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/2.0\r\n\r\n")]
    [InlineData("connect 127.0.0.1:{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.1:{allowed} HTTP/1.1\r\n\r\n")] // lenient IPv4 forms resolvers accept
    [InlineData("CONNECT 2130706433:{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 0x7f.0.0.1:{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:0{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:99999 HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:+{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT user@127.0.0.1:{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT [::1:{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT [fe80::1%eth0]:{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT [127.0.0.1]:{allowed} HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://user:pw@127.0.0.1:{allowed}/ HTTP/1.1\r\n\r\n")] // userinfo
    [InlineData("GET http://127.0.0.1:{allowed}@evil.example/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://127.0.0.1:{allowed}/#frag HTTP/1.1\r\n\r\n")]
    [InlineData("GET https://127.0.0.1:{allowed}/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET /simple/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")] // origin form: not a proxy request
    [InlineData("GET ftp://127.0.0.1:{allowed}/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET http:///x HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://127.0.0.1:/ HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/1.1\r\n folded: header\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/1.1\r\nNo-Colon\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/1.1\r\nBad Name: x\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/1.1\r\nX: a\rb\r\n\r\n")] // bare CR
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/1.1\r\nX: a\nb\r\n\r\n")] // bare LF
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/1.1\r\nX: \u0001\r\n\r\n")]
    [InlineData("CONNECT 127.0.0.1:{allowed} HTTP/1.1\r\nX: \0\r\n\r\n")]
    [InlineData("CONNECT exämple.org:443 HTTP/1.1\r\n\r\n")]
    public async Task Malformed_requests_get_400_and_never_connect(string request)
    {
        using var proxy = Start();
        await AssertRefusedAsync(proxy, Fill(request), "400 Bad Request", RefusalKind.Malformed);
    }

    [Theory]
    [InlineData(20 * 1024, 1)]
    [InlineData(200, 101)]
    public async Task An_absurd_head_gets_431(int headerBytes, int headers)
    {
        using var proxy = Start();
        var request = new StringBuilder($"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1\r\n");
        for (var i = 0; i < headers; i++)
        {
            request.Append(Filler(i)).Append(": ").Append('a', headerBytes).Append("\r\n");
        }

        await AssertRefusedAsync(proxy, request.Append("\r\n").ToString(), "431 Request Header Fields Too Large", RefusalKind.HeadTooLarge);
    }

    [Fact]
    public async Task A_slow_client_gets_408_at_the_head_deadline_however_it_trickles()
    {
        using var proxy = Start(new EgressProxyOptions { RequestHeadTimeout = TimeSpan.FromSeconds(1) });
        using var client = await ConnectAsync(proxy);
        var started = DateTime.UtcNow;
        using var trickle = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            foreach (var c in $"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1\r\nX: {new string('a', 100)}")
            {
                await client.SendAsync(new[] { (byte)c }, SocketFlags.None, trickle.Token);
                await Task.Delay(50, trickle.Token);
            }
        });
        var response = await ReadToEndAsync(client);
        await trickle.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => sending);
        Assert.StartsWith("HTTP/1.1 408 Request Timeout\r\n", response, StringComparison.Ordinal);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
        Assert.Equal(1, proxy.Refused(RefusalKind.HeadTimeout));
    }

    [Fact]
    public async Task A_client_that_hangs_up_mid_head_is_dropped()
    {
        using var proxy = Start();
        using (var client = await ConnectAsync(proxy))
        {
            await SendAsync(client, "CONNECT 127.0.0.1:");
        }

        await WaitUntilAsync(() => proxy.Refused(RefusalKind.Malformed) == 1);
        Assert.Equal(0, upstream.Accepted);
    }

    [Fact]
    public async Task Connections_beyond_the_limit_get_503()
    {
        using var proxy = Start(new EgressProxyOptions { MaxConnections = 2 });
        using var first = await ConnectAsync(proxy);
        using var second = await ConnectAsync(proxy);
        await WaitUntilAsync(() => proxy.Connections == 2);
        var response = await ExchangeAsync(proxy, $"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", response, StringComparison.Ordinal);
        Assert.InRange(proxy.Refused(RefusalKind.TooManyConnections), 1, 2);
        Assert.Equal(0, upstream.Accepted);
    }

    [Fact]
    public async Task The_byte_budget_ends_the_tunnel_and_refuses_new_requests()
    {
        using var proxy = Start(new EgressProxyOptions { MaxBytes = 64 * 1024 });
        using var client = await ConnectAsync(proxy);
        await SendAsync(client, $"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1\r\n\r\n");
        var payload = new byte[256 * 1024];
        try
        {
            await client.SendAsync(payload, SocketFlags.None).WaitAsync(Patience);
        }
        catch (SocketException)
        {
            // Reset once the proxy closed the tunnel: that is the point.
        }

        await ReadToEndAsync(client);
        Assert.InRange(proxy.Bytes, 64 * 1024, 64 * 1024 + (2 * 16 * 1024));
        Assert.True(proxy.Refused(RefusalKind.ByteBudget) >= 1);
        var response = await ExchangeAsync(proxy, $"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listed_name_that_resolves_to_this_host_is_refused_unless_it_is_a_loopback_name()
    {
        // Any alias of loopback in /etc/hosts other than localhost (the host name, ip6-localhost, …).
        var alias = File.ReadLines("/etc/hosts").Select(l => l.Split('#')[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length > 1 && IPAddress.TryParse(f[0], out var a) && IPAddress.IsLoopback(a))
            .SelectMany(f => f.Skip(1)).First(n => n != "localhost");
        using var proxy = Start(extra: [new EgressEndpoint(alias, upstream.Port), new EgressEndpoint("localhost", upstream.Port)]);
        await AssertRefusedAsync(proxy, $"CONNECT {alias}:{upstream.Port} HTTP/1.1\r\n\r\n", "403 Forbidden", RefusalKind.HostLocal);

        var listed = await ExchangeAsync(proxy, $"GET http://localhost:{upstream.Port}/ HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK", listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listed_name_that_does_not_resolve_gets_a_gateway_error()
    {
        using var proxy = Start(new EgressProxyOptions { ConnectTimeout = TimeSpan.FromSeconds(3) }, [new EgressEndpoint("no-such-host.invalid", 443)]);
        var response = await ExchangeAsync(proxy, "CONNECT no-such-host.invalid:443 HTTP/1.1\r\n\r\n");
        Assert.Matches("^HTTP/1.1 50[24] ", response);
        Assert.Equal(1, proxy.Refused(RefusalKind.Unresolvable));
    }

    [Fact]
    public async Task A_listed_endpoint_nobody_listens_on_gets_502()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var proxy = Start(extra: [new EgressEndpoint("127.0.0.1", port)]);
        await AssertRefusedAsync(proxy, $"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n", "502 Bad Gateway", RefusalKind.Unreachable);
    }

    [Fact]
    public async Task Disposing_closes_the_listener_and_every_open_tunnel()
    {
        var proxy = Start();
        using var client = await ConnectAsync(proxy);
        await SendAsync(client, $"CONNECT 127.0.0.1:{upstream.Port} HTTP/1.1\r\n\r\nping");
        await ReadAsync(client, "HTTP/1.1 200 Connection established\r\n\r\nping".Length);
        var port = proxy.Port;
        proxy.Dispose();

        Assert.Equal(string.Empty, await ReadToEndAsync(client));
        await WaitUntilAsync(() => upstream.Closed == 1);
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(() => again.ConnectAsync(IPAddress.Loopback, port));
    }

    [Fact]
    public async Task Garbage_connections_do_not_stop_the_proxy_serving()
    {
        using var proxy = Start();
        var rng = new Random(7);
        for (var i = 0; i < 20; i++)
        {
            var junk = new byte[rng.Next(1, 4096)];
            rng.NextBytes(junk);
            using var client = await ConnectAsync(proxy);
            await client.SendAsync(junk, SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
            await ReadToEndAsync(client);
        }

        var response = await ExchangeAsync(proxy, $"GET http://127.0.0.1:{upstream.Port}/ HTTP/1.1\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 OK", response, StringComparison.Ordinal);
    }

    /// <summary>The proxy answers with <paramref name="statusLine"/>, counts one refusal of <paramref name="kind"/>, and never reached the listed endpoint.</summary>
    private async Task AssertRefusedAsync(EgressProxy proxy, string request, string statusLine, RefusalKind kind)
    {
        var response = await ExchangeAsync(proxy, request);
        Assert.StartsWith($"HTTP/1.1 {statusLine}\r\n", response, StringComparison.Ordinal);
        Assert.Equal(1, proxy.Refused(kind));
        Assert.Equal(0, upstream.Accepted);
    }

    private static string Filler(int i) => "X-Filler-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string Fill(string text) => text
        .Replace("{allowed}", upstream.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{other}", ((IPEndPoint)other.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private EgressProxy Start(EgressProxyOptions? options = null, EgressEndpoint[]? extra = null)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(64);
        return new EgressProxy(listener, [new EgressEndpoint("127.0.0.1", upstream.Port), .. extra ?? []], options ?? new EgressProxyOptions(), NullLogger.Instance);
    }

    private static async Task<Socket> ConnectAsync(EgressProxy proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, proxy.Port);
        return socket;
    }

    private static async Task<string> ExchangeAsync(EgressProxy proxy, string request)
    {
        using var client = await ConnectAsync(proxy);
        await client.SendAsync(Encoding.Latin1.GetBytes(request), SocketFlags.None);
        return await ReadToEndAsync(client);
    }

    private static Task SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

    private static async Task<string> ReadAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).AsTask().WaitAsync(Patience);
            Assert.NotEqual(0, n);
            read += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Everything until the proxy closes (a reset after its answer counts as the end).</summary>
    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Patience)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (SocketException)
        {
        }

        return text.ToString();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }
}
