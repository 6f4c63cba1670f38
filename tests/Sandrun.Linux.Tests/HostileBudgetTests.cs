using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>
/// Kernel budgets counted per user are the job's own (SPEC §4): a job that exhausts them hurts neither host root
/// nor other jobs. Each test holds the resource inside a job while the host (or a second job) tries to use it.
/// </summary>
[Collection("sandbox")]
public sealed class HostileBudgetTests(SandboxFixture f)
{
    [Fact]
    public async Task A_job_exhausting_inotify_message_queues_signals_and_aio_leaves_host_root_its_budgets()
    {
        await using var job = await HoldingJob.StartAsync(f, Hostile.Prelude + $$"""
            import signal
            inotify = []
            while len(inotify) < 200:
                fd = libc.inotify_init1(0)
                if fd < 0:
                    break
                inotify.append(fd)
            libc.mq_open.restype = ctypes.c_int
            queues = []
            while len(queues) < 200:
                q = libc.mq_open(('/q%d' % len(queues)).encode(), os.O_CREAT | os.O_RDWR, 0o600, None)
                if q < 0:
                    break
                queues.append(q)
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGRTMIN])
            queued = 0
            while queued < 200000 and libc.sigqueue(os.getpid(), signal.SIGRTMIN, ctypes.c_void_p(0)) == 0:
                queued += 1
            ctx = ctypes.c_ulong(0)
            aio = sc({{Hostile.Nr("io_setup")}}, 65536, ctypes.byref(ctx))
            print('inotify', len(inotify), 'mq', len(queues), 'signals', queued, 'aio', aio, '{{HoldingJob.Marker}}', flush=True)
            """ + HoldingJob.WaitForRelease);

        var host = await HoldingJob.HostProbeAsync($$"""
            import ctypes, os, signal
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall.restype = ctypes.c_long
            libc.mq_open.restype = ctypes.c_int
            out = []
            out.append('inotify=' + ('OK' if libc.inotify_init1(0) >= 0 else 'FAIL %d' % ctypes.get_errno()))
            q = libc.mq_open(b'/sandrun-root-probe', os.O_CREAT | os.O_RDWR, 0o600, None)
            out.append('mq=' + ('OK' if q >= 0 else 'FAIL %d' % ctypes.get_errno()))
            libc.mq_unlink(b'/sandrun-root-probe')
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGRTMIN])
            out.append('sigqueue=' + ('OK' if libc.sigqueue(os.getpid(), signal.SIGRTMIN, ctypes.c_void_p(0)) == 0 else 'FAIL %d' % ctypes.get_errno()))
            ctx = ctypes.c_ulong(0)
            out.append('io_setup=' + ('OK' if libc.syscall({{Hostile.Nr("io_setup")}}, 128, ctypes.byref(ctx)) == 0 else 'FAIL %d' % ctypes.get_errno()))
            print(' '.join(out))
            """);
        var result = await job.ReleaseAsync();

        Assert.Equal("inotify=OK mq=OK sigqueue=OK io_setup=OK\n", host);
        Assert.Equal(FailureReason.None, result.FailureReason);
        Assert.Contains("aio ENOSYS", job.Report, StringComparison.Ordinal);
        var signals = int.Parse(job.Report.Split("signals ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(signals, 1, 1024);
    }

    [Fact]
    public async Task A_job_exhausting_its_inotify_instances_leaves_another_job_its_own()
    {
        await using var job = await HoldingJob.StartAsync(f, Hostile.Prelude + $$"""
            held = []
            while len(held) < 200 and libc.inotify_init1(0) >= 0:
                held.append(1)
            print('held', len(held), '{{HoldingJob.Marker}}', flush=True)
            """ + HoldingJob.WaitForRelease);
        var other = await f.PythonAsync(Hostile.Prelude + "print('OK' if libc.inotify_init1(0) >= 0 else errno.errorcode[ctypes.get_errno()])");
        await job.ReleaseAsync();

        Assert.Equal("OK\n", other.Stdout);
    }

    [Fact]
    public async Task Concurrent_jobs_run_as_different_host_uids_and_one_cannot_shrink_anothers_pipes()
    {
        // Over pipe-user-pages-soft (per host uid) every new pipe of that user gets 2 pages instead of 16.
        await using var job = await HoldingJob.StartAsync(f, Hostile.Prelude + $$"""
            import fcntl
            pipes = []
            while len(pipes) < 120:
                r, w = os.pipe()
                try:
                    fcntl.fcntl(w, 1031, 1 << 20)
                except OSError:
                    break
                pipes.append((r, w))
            r, w = os.pipe()
            print('pipes', len(pipes), 'own-new-pipe', fcntl.fcntl(w, 1032), 'map', open('/proc/self/uid_map').read().split(), '{{HoldingJob.Marker}}', flush=True)
            """ + HoldingJob.WaitForRelease);
        var other = await f.PythonAsync("import fcntl, os\nr, w = os.pipe()\nprint(fcntl.fcntl(w, 1032), open('/proc/self/uid_map').read().split())");
        await job.ReleaseAsync();

        Assert.Contains("own-new-pipe 8192", job.Report, StringComparison.Ordinal); // the attack itself worked
        Assert.StartsWith("65536 ", other.Stdout, StringComparison.Ordinal);
        var holderMap = job.Report.Split("map ")[1].Split(" HOLDING")[0];
        var otherMap = other.Stdout["65536 ".Length..].Trim();
        Assert.NotEqual(holderMap, otherMap);
    }

    [Theory]
    [InlineData("RLIMIT_SIGPENDING")]
    [InlineData("RLIMIT_MSGQUEUE")]
    [InlineData("RLIMIT_MEMLOCK")]
    [InlineData("RLIMIT_NPROC")]
    [InlineData("RLIMIT_NOFILE")]
    public async Task A_job_cannot_raise_its_budget_limits(string limit)
    {
        var run = await f.PythonAsync($$"""
            import resource
            soft, hard = resource.getrlimit(resource.{{limit}})
            try:
                resource.setrlimit(resource.{{limit}}, (hard + 1, hard + 1))
                print('RAISED', hard)
            except (ValueError, OSError) as e:
                print('refused', hard != resource.RLIM_INFINITY)
            """);
        Assert.Equal("refused True\n", run.Stdout);
    }
}
