using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sandrun.Linux.Tests;

/// <summary>Filesystem, process and network isolation.</summary>
[Collection("sandbox")]
public sealed class HostileIsolationTests(SandboxFixture f)
{
    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("/root/.bashrc")]
    [InlineData("/etc/ssh/ssh_host_ed25519_key")]
    [InlineData("/home")]
    [InlineData("/var/log")]
    [InlineData("/run/sandrun")]
    [InlineData("/sys/kernel")]
    [InlineData("/dev/mem")]
    [InlineData("/dev/kmsg")]
    [InlineData("/dev/sda")]
    [InlineData("/dev/vda")]
    [InlineData("/dev/uinput")]
    public async Task Host_paths_do_not_exist_inside(string path)
    {
        var run = await f.ShAsync($"test -e {path} && echo PRESENT || echo absent");
        Assert.Equal("absent\n", run.Stdout);
    }

    [Fact]
    public async Task Server_environment_and_host_processes_are_invisible()
    {
        Environment.SetEnvironmentVariable("SANDRUN_TEST_SECRET", "s3cret-value");
        var run = await f.ShAsync($"env; cat /proc/1/environ | tr '\\0' '\\n'; ls /proc | grep -E '^[0-9]+$' | wc -l; test -e /proc/{Environment.ProcessId}/environ && echo HOSTPID || echo nohost; cat /proc/1/cmdline | tr '\\0' ' '");
        Assert.DoesNotContain("s3cret-value", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("SANDRUN_TEST_SECRET", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("nohost", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("sandrun-init /bin/sh /bin/sh -c", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signals_cannot_reach_host_processes_and_kill_all_stays_inside()
    {
        using var victim = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        try
        {
            var run = await f.ShAsync($"kill -9 {victim.Id}; echo direct=$?; sleep 5 & kill -9 -1; echo after-kill-all; wait");
            Assert.Contains("direct=1", run.Stdout, StringComparison.Ordinal);
            Assert.Contains("after-kill-all", run.Stdout, StringComparison.Ordinal);
            Assert.False(victim.HasExited);
        }
        finally
        {
            victim.Kill();
        }
    }

    [Theory]
    [InlineData("/usr/evil")]
    [InlineData("/evil")]
    [InlineData("/etc/passwd")]
    [InlineData("/etc/ld.so.cache")]
    [InlineData("/bin/sh")]
    [InlineData("/dev/evil")]
    [InlineData("/proc/sys/kernel/hostname")]
    [InlineData("/proc/sysrq-trigger")]
    public async Task Writing_outside_the_workspace_fails(string path)
    {
        var run = await f.ShAsync($"echo x > {path} && echo WROTE || echo refused");
        Assert.Equal("refused\n", run.Stdout);
    }

    [Fact]
    public async Task Hardlinks_to_host_files_cannot_be_made()
    {
        var run = await f.ShAsync("ln /usr/bin/python3 /workspace/py && echo LINKED || echo refused; ln /usr/bin/python3 /tmp/py && echo LINKED || echo refused");
        Assert.Equal("refused\nrefused\n", run.Stdout);
    }

    [Fact]
    public async Task Nothing_persists_across_jobs()
    {
        var first = await f.ShAsync("echo a > /tmp/marker; echo b > /dev/shm/marker; echo c > /workspace/marker; ls /tmp /dev/shm /workspace");
        Assert.True(first.Result.Succeeded, first.ToString());
        Assert.Equal(3, first.Stdout.Split("marker").Length - 1);
        var second = await f.ShAsync("ls -A /tmp /dev/shm /workspace; cat /tmp/marker /dev/shm/marker /workspace/marker 2>/dev/null; echo end");
        Assert.DoesNotContain("marker", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemonised_orphan_dies_with_the_job()
    {
        using var ws = f.NewWorkspace();
        var run = await f.RunAsync(["python3", "-c", """
            import os, time
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(2)
                    open('/workspace/escaped', 'w').write('still alive')
                    os._exit(0)
                os._exit(0)
            time.sleep(0.2)
            print('parent done')
            """], workspace: ws);
        Assert.True(run.Result.Succeeded, run.ToString());
        await Task.Delay(3000);
        Assert.False(File.Exists(Path.Combine(ws.Path, "escaped")));
        Assert.Empty(LeakChecks.JobProcesses(f.Options.HostIdBase));
    }

    [Fact]
    public async Task Tcp_to_a_host_port_and_dns_fail()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var run = await f.PythonAsync(Hostile.Prelude + $$"""
            s = socket.socket()
            s.settimeout(2)
            print('tcp', errno.errorcode.get(s.connect_ex(('127.0.0.1', {{port}})), 'CONNECTED'))
            try:
                socket.getaddrinfo('example.com', 80)
                print('dns resolved')
            except OSError as e:
                print('dns failed')
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                u.sendto(b'x', ('127.0.0.1', 53))
                print('udp sent')
            except OSError as e:
                print('udp', errno.errorcode[e.errno])
            """);
        Assert.Contains("tcp ENETUNREACH", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("dns failed", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("udp ENETUNREACH", run.Stdout, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Loopback_cannot_be_brought_up()
    {
        var run = await f.PythonAsync(Hostile.Prelude + """
            import fcntl, struct
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                fcntl.ioctl(s, 0x8914, struct.pack('16sh', b'lo', 1 | 0x8))  # SIOCSIFFLAGS IFF_UP|IFF_LOOPBACK
                print('UP')
            except OSError as e:
                print(errno.errorcode[e.errno])
            """);
        Assert.Equal("EPERM", run.Stdout.Trim());
    }

    [Fact]
    public async Task Concurrent_jobs_cannot_talk_over_loopback_or_abstract_unix_sockets()
    {
        const string server = Hostile.Prelude + """
            t = socket.socket()
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind(('0.0.0.0', 47123)); t.listen(); t.settimeout(3)
            u = socket.socket(socket.AF_UNIX)
            u.bind('\0sandrun-cross-job'); u.listen(); u.settimeout(3)
            print('listening', flush=True)
            for name, s in (('tcp', t), ('unix', u)):
                try:
                    s.accept(); print(name, 'ACCEPTED', flush=True)
                except OSError:
                    print(name, 'none', flush=True)
            """;
        const string client = Hostile.Prelude + """
            time.sleep(0.5)
            for i in range(10):
                t = socket.socket(); t.settimeout(0.2)
                rt = t.connect_ex(('127.0.0.1', 47123))
                u = socket.socket(socket.AF_UNIX); u.settimeout(0.2)
                ru = u.connect_ex('\0sandrun-cross-job')
                time.sleep(0.1)
            print('tcp', errno.errorcode.get(rt, 'CONNECTED'), 'unix', errno.errorcode.get(ru, 'CONNECTED'))
            """;
        var a = f.PythonAsync(server);
        var b = f.PythonAsync(client);
        var (sa, sb) = (await a, await b);
        Assert.Contains("listening", sa.Stdout, StringComparison.Ordinal);
        Assert.Contains("tcp none", sa.Stdout, StringComparison.Ordinal);
        Assert.Contains("unix none", sa.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("CONNECTED", sb.Stdout, StringComparison.Ordinal);
        Assert.Contains("tcp ENETUNREACH", sb.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Processes_of_one_job_can_still_use_abstract_unix_sockets_together()
    {
        // Control for the cross-job test: the Landlock scope is per job, not a blanket ban.
        var run = await f.PythonAsync(Hostile.Prelude + """
            u = socket.socket(socket.AF_UNIX); u.bind('\0sandrun-same-job'); u.listen()
            if os.fork() == 0:
                c = socket.socket(socket.AF_UNIX); c.connect('\0sandrun-same-job'); c.send(b'hi'); os._exit(0)
            conn, _ = u.accept(); print(conn.recv(2).decode()); os.wait()
            """);
        Assert.Equal("hi\n", run.Stdout);
    }

    [Fact]
    public async Task Setup_uses_private_hostname_and_fresh_proc()
    {
        var run = await f.ShAsync("hostname; cat /proc/self/uid_map; grep -c . /proc/mounts");
        Assert.StartsWith("sandrun\n", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("65534", run.Stdout, StringComparison.Ordinal);
    }
}
