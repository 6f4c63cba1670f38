using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>A real sandboxed job with egress: its own namespace, loopback only, and a proxy that reaches the listed endpoint alone.</summary>
[Collection("sandbox")]
public sealed class EgressSandboxTests(SandboxFixture f) : IDisposable
{
    private readonly LoopbackUpstream listed = new();
    private readonly TcpListener other = StartListener();

    public void Dispose()
    {
        listed.Dispose();
        other.Dispose();
    }

    [Fact]
    public async Task A_step_with_egress_reaches_its_endpoint_only_through_the_proxy()
    {
        var otherPort = ((IPEndPoint)other.LocalEndpoint).Port;
        var code = string.Create(CultureInfo.InvariantCulture, $$"""
            import os, socket
            proxy = int(os.environ['HTTP_PROXY'].rsplit(':', 1)[1])
            def direct(port):
                s = socket.socket(); s.settimeout(3)
                try: return s.connect_ex(('127.0.0.1', port))
                finally: s.close()
            def ask(request):
                s = socket.create_connection(('127.0.0.1', proxy), timeout=10)
                s.sendall(request.encode())
                data = b''
                while chunk := s.recv(4096): data += chunk
                head, _, body = data.decode().partition('\r\n\r\n')
                return head.split('\r\n')[0] + ' | ' + body.strip()
            print('env', os.environ['HTTPS_PROXY'] == os.environ['http_proxy'] == os.environ['https_proxy'], repr(os.environ['NO_PROXY']))
            print('interfaces', [l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]])
            print('resolv', repr(open('/etc/resolv.conf').read()))
            print('direct listed', direct({{listed.Port}}))
            print('direct other', direct({{otherPort}}))
            print('listed', ask('GET http://127.0.0.1:{{listed.Port}}/x HTTP/1.1\r\n\r\n'))
            print('other', ask('CONNECT 127.0.0.1:{{otherPort}} HTTP/1.1\r\n\r\n'))
            """);
        using var workspace = f.NewWorkspace();
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "main.py"), code);
        var sink = new CollectingSink();
        var spec = new SandboxSpec(["python3", "main.py"], workspace.Path, SandboxFixture.Limits)
        {
            Egress = [new EgressEndpoint("127.0.0.1", listed.Port)],
            Environment = new Dictionary<string, string> { ["HTTP_PROXY"] = "http://127.0.0.1:1", ["NO_PROXY"] = "*" },
        };
        var result = await f.Sandbox.RunAsync(spec, sink).WaitAsync(TimeSpan.FromMinutes(2));
        var run = new JobRun(result, sink.Stdout, sink.Stderr, sink.StdoutBytes);

        Assert.True(result.Succeeded, run.ToString());
        Assert.Contains("env True ''\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("interfaces ['lo']\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("resolv ''\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("direct listed 111\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("direct other 111\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("listed HTTP/1.1 200 OK | ok\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"other HTTP/1.1 403 Forbidden | sandrun egress proxy: 127.0.0.1:{otherPort} is not an allowed endpoint\n", run.Stdout, StringComparison.Ordinal);
        Assert.False(other.Pending());
        Assert.Equal(1, listed.Accepted);
    }

    [Fact]
    public async Task A_step_without_egress_has_no_proxy_and_no_way_out()
    {
        var run = await f.PythonAsync($"import os, socket\nprint(sorted(k for k in os.environ if 'PROXY' in k.upper()))\ns = socket.socket()\ns.settimeout(3)\nprint(s.connect_ex(('127.0.0.1', {listed.Port})))\n");
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Equal("[]\n101\n", run.Stdout);
        Assert.Equal(0, listed.Accepted);
    }

    private static TcpListener StartListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }
}
