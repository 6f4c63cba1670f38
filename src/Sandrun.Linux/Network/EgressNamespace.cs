using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Network;

/// <summary>
/// The network of one step with egress (<see cref="SandboxSpec.Egress"/>): a fresh network namespace, owned by the
/// host (the job has no privilege over it), with only loopback, up, and on it a listening socket served from the host
/// namespace by an <see cref="EgressProxy"/>. A socket stays in the namespace it was created in, so the proxy's
/// listener is inside while its outbound connections are made from host threads. Disposing closes all of it.
/// </summary>
internal sealed partial class EgressNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private const uint SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
    private const short IFF_UP = 1;
    private const int IfreqSize = 40, IfreqFlagsOffset = 16;

    private readonly EgressProxy proxy;
    private int fd;
    private int hostFd;

    private EgressNamespace(int fd, int hostFd, EgressProxy proxy)
    {
        this.fd = fd;
        this.hostFd = hostFd;
        this.proxy = proxy;
    }

    /// <summary>fd of the step's namespace, joined by the spawn routine around the clone.</summary>
    public int Fd => fd;

    /// <summary>fd of the host namespace the spawning thread returns to.</summary>
    public int HostFd => hostFd;

    /// <summary>
    /// The step's proxy variables, in every spelling tools read; NO_PROXY empty so that nothing (the loopback
    /// registry of a test, say) is tried directly, where nothing listens.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Environment
    {
        get
        {
            var url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{proxy.Port}");
            return new Dictionary<string, string>
            {
                ["HTTP_PROXY"] = url, ["HTTPS_PROXY"] = url, ["http_proxy"] = url, ["https_proxy"] = url, ["NO_PROXY"] = string.Empty, ["no_proxy"] = string.Empty,
            };
        }
    }

    /// <summary>Creates the namespace and starts its proxy; throws <see cref="SandboxUnavailableException"/> when it cannot.</summary>
    public static EgressNamespace Create(IReadOnlyList<EgressEndpoint> allowed, EgressProxyOptions options, ILogger logger)
    {
        var hostFd = Libc.Open("/proc/self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (hostFd < 0)
        {
            throw new SandboxUnavailableException(Libc.Error("open /proc/self/ns/net").Message);
        }

        var fd = -1;
        Socket? listener = null;
        Exception? failure = null;

        // unshare() and setns() change the calling thread only: a throwaway thread enters the new namespace, creates
        // what must live there, and returns before it ends, so no other thread ever runs in it.
        var thread = new Thread(() =>
        {
            try
            {
                if (Libc.Unshare(CLONE_NEWNET) != 0)
                {
                    throw Libc.Error("unshare(CLONE_NEWNET)");
                }

                try
                {
                    fd = Libc.Open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                    if (fd < 0)
                    {
                        throw Libc.Error("open the new network namespace");
                    }

                    BringLoopbackUp();
                    listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    listener.Listen(options.MaxConnections);
                }
                finally
                {
                    if (Libc.Setns(hostFd, CLONE_NEWNET) != 0)
                    {
                        failure = Libc.Error("setns back to the host network namespace");
                    }
                }
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        })
        { IsBackground = true, Name = "sandrun-egress-netns" };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            listener?.Dispose();
            Libc.CloseQuietly(ref fd);
            Libc.CloseQuietly(ref hostFd);
            throw new SandboxUnavailableException("cannot set up the step's network namespace and proxy: " + failure.Message, failure);
        }

        return new EgressNamespace(fd, hostFd, new EgressProxy(listener!, allowed, options, logger));
    }

    /// <summary>Stops the proxy (closing every connection of the step) and releases the namespace.</summary>
    public void Dispose()
    {
        proxy.Dispose();
        Libc.CloseQuietly(ref fd);
        Libc.CloseQuietly(ref hostFd);
    }

    /// <summary>SIOCSIFFLAGS IFF_UP on <c>lo</c>, from a thread inside the namespace.</summary>
    private static unsafe void BringLoopbackUp()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var ifreq = stackalloc byte[IfreqSize];
        new Span<byte>(ifreq, IfreqSize).Clear();
        "lo"u8.CopyTo(new Span<byte>(ifreq, 16));
        if (Ioctl((int)socket.Handle, SIOCGIFFLAGS, ifreq) != 0)
        {
            throw Libc.Error("SIOCGIFFLAGS lo");
        }

        *(short*)(ifreq + IfreqFlagsOffset) |= IFF_UP;
        if (Ioctl((int)socket.Handle, SIOCSIFFLAGS, ifreq) != 0)
        {
            throw Libc.Error("SIOCSIFFLAGS lo up");
        }
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static unsafe partial int Ioctl(int fd, nuint request, byte* argument);
}
