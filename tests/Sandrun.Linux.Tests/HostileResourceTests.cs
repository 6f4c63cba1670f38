using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>Resource exhaustion: every limit holds and is reported with the right reason.</summary>
[Collection("sandbox")]
public sealed class HostileResourceTests(SandboxFixture f)
{
    private static SandboxLimits Short => SandboxFixture.Limits with { WallTimeout = TimeSpan.FromSeconds(3) };

    [Fact]
    public async Task Fork_bomb_is_capped_by_the_pids_cgroup_and_killed_at_the_timeout()
    {
        var run = await f.RunAsync(["bash", "-c", ":(){ :|:& };:; sleep 100"], limits: Short with { MaxProcesses = 32 });
        Assert.Equal(FailureReason.Timeout, run.Result.FailureReason);
        Assert.InRange(run.Result.WallTime.TotalSeconds, 2.9, 20);
    }

    [Fact]
    public async Task A_job_runs_at_the_normal_policy_and_cannot_raise_its_priority()
    {
        var run = await f.PythonAsync("""
            import os, resource
            print('policy', os.sched_getscheduler(0) == os.SCHED_OTHER)
            print('rtprio', resource.getrlimit(resource.RLIMIT_RTPRIO), 'nice', resource.getrlimit(resource.RLIMIT_NICE))
            for name, attempt in [('fifo', lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))),
                                  ('rr', lambda: os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(1))),
                                  ('nice', lambda: os.setpriority(os.PRIO_PROCESS, 0, -5))]:
                try:
                    attempt(); print(name, 'ALLOWED')
                except PermissionError:
                    print(name, 'denied')
            """);
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Equal("policy True\nrtprio (0, 0) nice (0, 0)\nfifo denied\nrr denied\nnice denied\n", run.Stdout);
    }

    [Fact]
    public async Task Python_fork_bomb_hits_the_process_cap()
    {
        var run = await f.PythonAsync("""
            import os, sys
            n = 0
            try:
                while True:
                    if os.fork() == 0:
                        import time; time.sleep(30); os._exit(0)
                    n += 1
            except OSError as e:
                print('forks', n, e.errno, flush=True)
            """, Short with { MaxProcesses = 20 });
        Assert.Contains("forks ", run.Stdout, StringComparison.Ordinal);
        var forks = int.Parse(run.Stdout.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(forks, 1, 19);
        Assert.Contains(" 11", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Thread_bomb_is_capped()
    {
        var run = await f.PythonAsync("""
            import threading, time
            n = 0
            try:
                while True:
                    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                    n += 1
            except RuntimeError:
                print('threads', n, flush=True)
            import os; os._exit(0)
            """, Short with { MaxProcesses = 24 });
        Assert.True(run.Result.Succeeded, run.ToString());
        var threads = int.Parse(run.Stdout.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(threads, 1, 23);
    }

    [Fact]
    public async Task Memory_bomb_is_killed_and_reported_as_memory_limit()
    {
        var run = await f.PythonAsync("x = b'x' * (1 << 30)\nprint('survived')\n", SandboxFixture.Limits with { MemoryBytes = 64L << 20 });
        Assert.Equal(FailureReason.MemoryLimit, run.Result.FailureReason);
        Assert.DoesNotContain("survived", run.Stdout, StringComparison.Ordinal);
        Assert.InRange(run.Result.MemoryPeakBytes, 32L << 20, 64L << 20);
    }

    [Fact]
    public async Task Touching_mmapped_pages_past_the_limit_is_a_memory_limit_too()
    {
        var run = await f.PythonAsync("""
            import mmap
            m = mmap.mmap(-1, 512 << 20)
            for i in range(0, 512 << 20, 4096):
                m[i] = 1
            print('survived')
            """, SandboxFixture.Limits with { MemoryBytes = 48L << 20 });
        Assert.Equal(FailureReason.MemoryLimit, run.Result.FailureReason);
    }

    [Fact]
    public async Task Stack_bomb_dies_with_a_signal()
    {
        // call self (e8 fb ff ff ff): return addresses fill the 8 MiB RLIMIT_STACK in microseconds.
        var run = await f.PythonAsync(Hostile.MachineCode("e8fbffffff"), Short);
        Assert.Equal(FailureReason.Signal, run.Result.FailureReason);
        Assert.Equal(11, run.Result.Signal);
        Assert.True(run.Result.WallTime < TimeSpan.FromSeconds(10), run.ToString());
    }

    [Theory]
    [InlineData("kill -TERM $$", 15)]
    [InlineData("kill -SEGV $$", 11)]
    [InlineData("python3 -c 'import os; os.abort()'", 6)]
    [InlineData("python3 -c 'import os; os.kill(os.getpid(), 9)'", 9)]
    public async Task A_program_can_signal_itself_like_anywhere_else(string script, int signal)
    {
        // The payload is pid 2 under sandrun-init, so the kernel's pid-1 signal protection does not apply to it.
        var run = await f.RunAsync(script.StartsWith("kill", StringComparison.Ordinal) ? ["sh", "-c", script] : ["sh", "-c", "exec " + script]);
        Assert.Equal(FailureReason.Signal, run.Result.FailureReason);
        Assert.Equal(signal, run.Result.Signal);
    }

    [Fact]
    public async Task Cpu_spin_is_killed_at_the_cpu_limit()
    {
        var run = await f.PythonAsync("while True: pass", SandboxFixture.Limits with { CpuTime = TimeSpan.FromSeconds(1) });
        Assert.Equal(FailureReason.CpuLimit, run.Result.FailureReason);
        Assert.InRange(run.Result.CpuTime.TotalSeconds, 1.0, 3.0);
        Assert.True(run.Result.WallTime < TimeSpan.FromSeconds(15), "killed at the CPU limit, long before the 20 s wall limit");
    }

    [Fact]
    public async Task Cpu_limit_counts_all_processes_of_the_job()
    {
        var run = await f.ShAsync("for i in 1 2 3 4; do (while :; do :; done) & done; wait", SandboxFixture.Limits with { CpuTime = TimeSpan.FromSeconds(2) });
        Assert.Equal(FailureReason.CpuLimit, run.Result.FailureReason);

        // Counted per process, the job would only stop once one spinner reached 2 s (8 CPU-seconds in all).
        Assert.InRange(run.Result.CpuTime.TotalSeconds, 2.0, 4.0);
    }

    [Fact]
    public async Task Sleep_past_the_timeout_is_killed_at_the_wall_limit()
    {
        var run = await f.ShAsync("sleep 100", SandboxFixture.Limits with { WallTimeout = TimeSpan.FromSeconds(1) });
        Assert.Equal(FailureReason.Timeout, run.Result.FailureReason);
        Assert.InRange(run.Result.WallTime.TotalSeconds, 0.95, 10);
        Assert.True(run.Result.CpuTime < TimeSpan.FromSeconds(0.5));
    }

    [Fact]
    public async Task Stdout_flood_is_truncated_at_the_cap_and_killed()
    {
        var run = await f.RunAsync(["yes"], limits: SandboxFixture.Limits with { OutputBytesPerStream = 100_000 });
        Assert.Equal(FailureReason.OutputLimit, run.Result.FailureReason);
        Assert.True(run.Result.OutputTruncated);
        Assert.Equal(100_000, run.Result.StdoutBytes);
        Assert.Equal(100_000, run.StdoutBytes.Length);
    }

    [Fact]
    public async Task Stderr_flood_is_truncated_at_the_cap_and_killed()
    {
        var run = await f.PythonAsync("import sys\nwhile True: sys.stderr.write('e' * 4096)", SandboxFixture.Limits with { OutputBytesPerStream = 50_000 });
        Assert.Equal(FailureReason.OutputLimit, run.Result.FailureReason);
        Assert.Equal(50_000, run.Result.StderrBytes);
        Assert.Equal(50_000, run.Stderr.Length);
    }

    [Fact]
    public async Task Binary_and_invalid_utf8_output_arrives_byte_for_byte()
    {
        var run = await f.PythonAsync("""
            import os, hashlib
            data = bytes(range(256)) * 4096 + b'\xff\xfe\xc3'
            os.write(2, hashlib.sha256(data).hexdigest().encode())
            v = memoryview(data)
            while v:
                v = v[os.write(1, v):]
            """, SandboxFixture.Limits with { OutputBytesPerStream = 2 << 20 });
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Equal((256 * 4096) + 3, run.StdoutBytes.Length);
        Assert.Equal(run.Stderr, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(run.StdoutBytes)));
    }

    [Fact]
    public async Task Output_without_a_trailing_newline_is_kept()
    {
        var run = await f.ShAsync("printf 'no newline'");
        Assert.Equal("no newline", run.Stdout);
    }

    [Fact]
    public async Task Filling_the_workspace_stops_at_its_size()
    {
        using var ws = f.NewWorkspace(8L << 20);
        var run = await f.RunAsync(["sh", "-c", "dd if=/dev/zero of=/workspace/fill bs=1M count=64; echo rc=$?; ls -l /workspace/fill"],
            limits: SandboxFixture.Limits with { MaxFileSizeBytes = 1L << 30 }, workspace: ws);
        Assert.Contains("No space left on device", run.Stderr, StringComparison.Ordinal);
        Assert.InRange(new FileInfo(Path.Combine(ws.Path, "fill")).Length, 1, 8L << 20);
    }

    [Fact]
    public async Task Filling_tmp_stops_at_its_size()
    {
        var run = await f.ShAsync("dd if=/dev/zero of=/tmp/fill bs=1M count=64; echo rc=$?; stat -c %s /tmp/fill",
            SandboxFixture.Limits with { TmpBytes = 8L << 20, MaxFileSizeBytes = 1L << 30 });
        Assert.Contains("No space left on device", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("rc=1", run.Stdout, StringComparison.Ordinal);
        Assert.Equal((8L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), run.Stdout.Trim().Split('\n')[^1]);
    }

    [Fact]
    public async Task Filling_dev_shm_stops_at_its_size()
    {
        var run = await f.ShAsync("dd if=/dev/zero of=/dev/shm/fill bs=1M count=64; echo rc=$?",
            SandboxFixture.Limits with { TmpBytes = 4L << 20, MaxFileSizeBytes = 1L << 30 });
        Assert.Contains("No space left on device", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_larger_than_the_size_limit_fail_with_EFBIG()
    {
        var run = await f.PythonAsync("""
            import errno
            try:
                with open('/tmp/big', 'wb') as fh:
                    fh.write(b'x' * (3 << 20))
            except OSError as e:
                print(errno.errorcode[e.errno])
            """, SandboxFixture.Limits with { MaxFileSizeBytes = 1L << 20 });
        Assert.Equal("EFBIG", run.Stdout.Trim());
    }

    [Fact]
    public async Task Inode_exhaustion_is_contained()
    {
        var run = await f.PythonAsync("""
            import errno
            n = 0
            try:
                while True:
                    open('/tmp/f%d' % n, 'w').close()
                    n += 1
            except OSError as e:
                print(n, errno.errorcode[e.errno])
            """, SandboxFixture.Limits with { TmpBytes = 4L << 20 });
        Assert.True(run.Result.Succeeded, run.ToString());
        var parts = run.Stdout.Trim().Split(' ');
        Assert.Equal("ENOSPC", parts[1]);
        Assert.InRange(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), 100, 1024);
    }

    [Fact]
    public async Task Fd_exhaustion_stops_at_the_rlimit()
    {
        var run = await f.PythonAsync("""
            import errno, os
            fds = []
            try:
                while True:
                    fds.append(os.open('/dev/null', os.O_RDONLY))
            except OSError as e:
                print(len(fds), errno.errorcode[e.errno])
            """, SandboxFixture.Limits with { MaxOpenFiles = 64 });
        var parts = run.Stdout.Trim().Split(' ');
        Assert.Equal("EMFILE", parts[1]);
        Assert.InRange(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), 50, 61);
    }
}
