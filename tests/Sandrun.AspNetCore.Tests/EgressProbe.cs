using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// What hostile install-step code tries once it runs (a build backend, an npm script, a Gemfile: each starts
/// <see cref="Script"/>, uploaded as <c>probe.py</c>): reach the registry, a second listener on the host's loopback and
/// the Sandrun server itself, directly and through the step's proxy, and see the host's resolvers. It appends what
/// happened to <c>/workspace/probe.txt</c>, which the job then prints; <see cref="AssertConfined"/> checks it.
/// </summary>
internal sealed class EgressProbe : IDisposable
{
    private readonly TcpListener other = new(IPAddress.Loopback, 0);
    private readonly int registry;
    private readonly int server;

    public EgressProbe(string registryUrl, TestServer server)
    {
        other.Start();
        registry = new Uri(registryUrl).Port;
        this.server = server.BaseAddress.Port;
    }

    /// <summary>The payload's Python (python3 is in every sandbox's runtime).</summary>
    public string Script => string.Create(CultureInfo.InvariantCulture, $$"""
        import os, socket
        proxy = int(os.environ['HTTP_PROXY'].rsplit(':', 1)[1])
        def direct(port):
            s = socket.socket(); s.settimeout(3)
            try: return s.connect_ex(('127.0.0.1', port))
            finally: s.close()
        def ask(request):
            s = socket.create_connection(('127.0.0.1', proxy), timeout=10)
            s.sendall(request.encode())
            return s.recv(4096).decode().split('\r\n')[0]
        with open('/workspace/probe.txt', 'a') as out:
            for name, port in (('registry', {{registry}}), ('other', {{OtherPort}}), ('server', {{server}})):
                out.write(f'direct {name}: {direct(port)}\n')
            out.write('proxy other: ' + ask('CONNECT 127.0.0.1:{{OtherPort}} HTTP/1.1\r\n\r\n') + '\n')
            out.write('proxy server: ' + ask('CONNECT 127.0.0.1:{{server}} HTTP/1.1\r\n\r\n') + '\n')
            out.write('proxy server api: ' + ask('GET http://127.0.0.1:{{server}}/health HTTP/1.1\r\n\r\n') + '\n')
            out.write('proxy registry alias: ' + ask('CONNECT localhost:{{registry}} HTTP/1.1\r\n\r\n') + '\n')
            out.write('resolv.conf: ' + repr(open('/etc/resolv.conf').read()) + '\n')
        """);

    private int OtherPort => ((IPEndPoint)other.LocalEndpoint).Port;

    /// <summary>The step reached nothing but its registry, and only through the proxy.</summary>
    public void AssertConfined(string logs)
    {
        foreach (var name in new[] { "registry", "other", "server" })
        {
            Assert.Contains($"direct {name}: 111\n", logs, StringComparison.Ordinal); // ECONNREFUSED: nothing listens in its namespace
        }

        foreach (var target in new[] { "other", "server", "server api", "registry alias" })
        {
            Assert.Contains($"proxy {target}: HTTP/1.1 403 Forbidden\n", logs, StringComparison.Ordinal);
        }

        Assert.Contains("resolv.conf: ''\n", logs, StringComparison.Ordinal);
        Assert.False(other.Pending(), "nothing connected to the other listener");
    }

    public void Dispose() => other.Dispose();
}
