using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Linux.Probe;

namespace Sandrun.Linux.Tests;

/// <summary>
/// Two jobs running at the same time share nothing (SPEC §4): job A opens sockets and IPC objects and holds them
/// while job B looks for them, squats their names and tries to reach them. Every network mode is tried, and the
/// pooled one also without Landlock, so that the network namespace alone is what keeps the jobs apart.
/// </summary>
[Collection("sandbox")]
public sealed class CrossJobIsolationTests(SandboxFixture f)
{
    private const int Port = 47211;
    private const string Abstract = "sandrun-cross-job-item";
    private const string SocketPath = "/tmp/sandrun-cross-job.sock";

    /// <summary>Appended to a holder: announce readiness, then keep everything open until the test says done.</summary>
    private const string HoldUntilDone = """

        open('/workspace/ready', 'w').close()
        deadline = time.time() + 60
        while not os.path.exists('/workspace/done') and time.time() < deadline:
            time.sleep(0.01)
        print('held', flush=True)

        """;

    public static TheoryData<string> Modes => ["pooled", "pooled-without-landlock", "clone"];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_concurrent_job_sees_no_socket_of_another_and_can_take_its_port_and_names(string mode)
    {
        var holder = Hostile.Prelude + $$"""
            t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('0.0.0.0', {{Port}})); t.listen()
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('0.0.0.0', {{Port}}))
            a = socket.socket(socket.AF_UNIX); a.bind('\0{{Abstract}}'); a.listen()
            p = socket.socket(socket.AF_UNIX); p.bind('{{SocketPath}}'); p.listen()
            for s in (t, a, p):
                s.setblocking(False)
            port = ':%04X ' % {{Port}}
            print('own tcp', port in open('/proc/net/tcp').read())
            print('own udp', port in open('/proc/net/udp').read())
            unix = open('/proc/net/unix').read()
            print('own abstract', '@{{Abstract}}' in unix, 'own path', '{{SocketPath}}' in unix, flush=True)
            """ + HoldUntilDone + """
            for s in (t, a, p):
                try:
                    s.accept(); print('ACCEPTED')
                except BlockingIOError:
                    pass
            """;
        var prober = Hostile.Prelude + $$"""
            port = ':%04X ' % {{Port}}
            print('seen tcp', port in open('/proc/net/tcp').read())
            print('seen udp', port in open('/proc/net/udp').read())
            unix = open('/proc/net/unix').read()
            print('seen abstract', '@{{Abstract}}' in unix, 'seen path', '{{SocketPath}}' in unix)
            def attempt(name, f):
                try:
                    f(); print(name, 'OK')
                except OSError as e:
                    print(name, errno.errorcode[e.errno])
            c = socket.socket(socket.AF_UNIX)
            attempt('connect-abstract', lambda: c.connect('\0{{Abstract}}'))
            c = socket.socket(socket.AF_UNIX)
            attempt('connect-path', lambda: c.connect('{{SocketPath}}'))
            c = socket.socket(); c.settimeout(1)
            attempt('connect-tcp', lambda: c.connect(('127.0.0.1', {{Port}})))
            t = socket.socket(); attempt('bind-tcp', lambda: t.bind(('0.0.0.0', {{Port}})))
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); attempt('bind-udp', lambda: u.bind(('0.0.0.0', {{Port}})))
            a = socket.socket(socket.AF_UNIX); attempt('bind-abstract', lambda: a.bind('\0{{Abstract}}'))
            """;

        var (held, probe) = await WhileHeldAsync(mode, holder, prober);
        Assert.Contains("own tcp True\nown udp True\nown abstract True own path True\nheld\n", held.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ACCEPTED", held.Stdout, StringComparison.Ordinal);
        Assert.Equal(
            "seen tcp False\nseen udp False\nseen abstract False seen path False\nconnect-abstract ECONNREFUSED\nconnect-path ENOENT\n"
            + "connect-tcp ENETUNREACH\nbind-tcp OK\nbind-udp OK\nbind-abstract OK\n",
            probe.Stdout);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_concurrent_job_sees_no_SysV_IPC_object_of_another(string mode)
    {
        const string holder = Hostile.Prelude + """
            key = 0x5a4e11
            print('shm', libc.shmget(key, 4096, 0o1600), 'msg', libc.msgget(key, 0o1600), 'sem', libc.semget(key, 1, 0o1600))
            print('own', all(str(key) in open('/proc/sysvipc/' + t).read() for t in ('shm', 'msg', 'sem')), flush=True)
            """ + HoldUntilDone;
        const string prober = Hostile.Prelude + """
            key = 0x5a4e11
            print('seen', any(str(key) in open('/proc/sysvipc/' + t).read() for t in ('shm', 'msg', 'sem')))
            for name, call in (('shm', lambda: libc.shmget(key, 0, 0)), ('msg', lambda: libc.msgget(key, 0)), ('sem', lambda: libc.semget(key, 0, 0))):
                ctypes.set_errno(0)
                r = call()
                print(name, 'FOUND' if r >= 0 else errno.errorcode[ctypes.get_errno()])
            """;

        var (held, probe) = await WhileHeldAsync(mode, holder, prober);
        Assert.Matches("^shm [0-9]+ msg [0-9]+ sem [0-9]+\nown True\nheld\n$", held.Stdout);
        Assert.Equal("seen False\nshm ENOENT\nmsg ENOENT\nsem ENOENT\n", probe.Stdout);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Sequential_jobs_never_get_the_same_network_namespace(string mode)
    {
        // The netns cookie is never recycled. Inode numbers are, once a namespace is gone: a pooled namespace was
        // created while the previous jobs' still existed, so theirs differ too; a clone-created one may reuse one.
        const string report = """
            import os, socket
            s = socket.socket(socket.AF_UNIX)
            print(os.readlink('/proc/self/ns/net'), int.from_bytes(s.getsockopt(socket.SOL_SOCKET, 71, 8), 'little'))
            """;
        var (sandbox, owned) = SandboxFor(mode);
        try
        {
            var seen = new List<string[]>();
            for (var i = 0; i < 4; i++)
            {
                var run = await f.RunAsync(["python3", "-c", report], sandbox: sandbox);
                Assert.True(run.Result.Succeeded, run.ToString());
                seen.Add(run.Stdout.Trim().Split(' '));
            }

            var host = new FileInfo("/proc/self/ns/net").LinkTarget;
            Assert.DoesNotContain(seen, s => s[0] == host);
            Assert.Equal(seen.Count, seen.Select(s => s[1]).Distinct().Count());
            if (mode != "clone")
            {
                Assert.Equal(seen.Count, seen.Select(s => s[0]).Distinct().Count());
            }
        }
        finally
        {
            if (owned)
            {
                sandbox.Dispose();
            }
        }
    }

    [Fact]
    public async Task Loopback_is_the_only_interface_and_stays_down()
    {
        var run = await f.PythonAsync(Hostile.Prelude + """
            import fcntl, struct
            print([line.split(':')[0].strip() for line in open('/proc/net/dev').readlines()[2:]])
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            flags = struct.unpack('16sh', fcntl.ioctl(s, 0x8913, struct.pack('16sh', b'lo', 0)))[1]  # SIOCGIFFLAGS
            print('up' if flags & 1 else 'down')
            try:
                fcntl.ioctl(s, 0x8914, struct.pack('16sh', b'lo', flags | 1))  # SIOCSIFFLAGS IFF_UP
                print('BROUGHT UP')
            except OSError as e:
                print(errno.errorcode[e.errno])
            """);
        Assert.Equal("['lo']\ndown\nEPERM\n", run.Stdout);
    }

    /// <summary>Runs <paramref name="holder"/>, and once it is ready, <paramref name="prober"/> alongside it.</summary>
    private async Task<(JobRun Holder, JobRun Prober)> WhileHeldAsync(string mode, string holder, string prober)
    {
        var (sandbox, owned) = SandboxFor(mode);
        try
        {
            using var ws = f.NewWorkspace();
            var held = f.RunAsync(["python3", "-c", holder], workspace: ws, sandbox: sandbox);
            var ready = Path.Combine(ws.Path, "ready");
            while (!File.Exists(ready) && !held.IsCompleted)
            {
                await Task.Delay(10);
            }

            if (held.IsCompleted)
            {
                Assert.Fail("the holder ended before it was ready: " + await held);
            }

            JobRun probe;
            try
            {
                probe = await f.RunAsync(["python3", "-c", prober], sandbox: sandbox);
            }
            finally
            {
                await File.WriteAllTextAsync(Path.Combine(ws.Path, "done"), string.Empty);
            }

            var result = await held;
            Assert.True(result.Result.Succeeded, result.ToString());
            Assert.True(probe.Result.Succeeded, probe.ToString());
            return (result, probe);
        }
        finally
        {
            if (owned)
            {
                sandbox.Dispose();
            }
        }
    }

    private (LinuxSandbox Sandbox, bool Owned) SandboxFor(string mode) => mode switch
    {
        "pooled" => (f.Sandbox, false),
        "pooled-without-landlock" => (new LinuxSandbox(new LinuxSandboxOptions(), NullLogger.Instance, CapabilityProbe.Probe(f.Options) with { LandlockAbi = 0 }), true),
        "clone" => (new LinuxSandbox(new LinuxSandboxOptions { Network = NetworkIsolation.PerJobNamespace }, NullLogger.Instance, null), true),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };
}
