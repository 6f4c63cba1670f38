using Sandrun.Abstractions;
using Sandrun.Linux.Cgroups;
using Sandrun.Linux.Native;
using Sandrun.Linux.Spawn;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Execution;

/// <summary>
/// Watches one running job on its own thread: a single poll() over stdout, stderr and the pidfd, with
/// wall-clock, CPU (cgroup accounting) and output caps enforced in the same loop. Killing the payload
/// (pid 1 of its pid namespace) makes the kernel kill every other process of the job.
/// </summary>
internal sealed unsafe class JobMonitor(
    ClonedChild child,
    IJobCgroup cgroup,
    SandboxLimits limits,
    ISandboxOutputSink sink,
    Action<TimeSpan>? cpuProgress,
    TimeSpan checkInterval,
    CancellationToken cancellationToken)
{
    private const int ChunkSize = 64 * 1024;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);
    private FailureReason? killReason;

    public MonitorResult Run(int stdoutFd, int stderrFd, int statusFd)
    {
        var started = TimeProvider.System.GetTimestamp();
        var deadline = Environment.TickCount64 + (long)Math.Min(limits.WallTimeout.TotalMilliseconds, int.MaxValue);
        var nextCpuCheck = Environment.TickCount64 + (long)checkInterval.TotalMilliseconds;
        var fds = stackalloc Libc.PollFd[3];
        fds[0] = new Libc.PollFd { Fd = stdoutFd, Events = Libc.POLLIN };
        fds[1] = new Libc.PollFd { Fd = stderrFd, Events = Libc.POLLIN };
        fds[2] = new Libc.PollFd { Fd = child.Pidfd, Events = Libc.POLLIN };
        var produced = stackalloc long[2];
        var truncated = false;
        ExitStatus? status = null;
        (long Kind, long Value)? report = null;
        var reaped = false;
        long exitedAt = 0;
        TimeSpan wall = default;
        var buffer = new byte[ChunkSize];

        while (true)
        {
            var now = Environment.TickCount64;
            var timeout = reaped
                ? (int)Math.Max(0, exitedAt + (long)DrainTimeout.TotalMilliseconds - now)
                : (int)Math.Clamp(Math.Min(deadline - now, (long)checkInterval.TotalMilliseconds), 0, int.MaxValue);
            var n = Libc.Poll(fds, 3, timeout);
            if (n < 0 && Libc.LastErrno != Libc.EINTR)
            {
                throw Libc.Error("poll");
            }

            for (var i = 0; i < 2 && n > 0; i++)
            {
                if (fds[i].Fd < 0 || (fds[i].Revents & (Libc.POLLIN | Libc.POLLHUP | Libc.POLLERR)) == 0)
                {
                    continue;
                }

                fixed (byte* p = buffer)
                {
                    var r = Libc.Read(fds[i].Fd, p, ChunkSize);
                    if (r > 0)
                    {
                        var keep = Math.Min(r, Math.Max(0, limits.OutputBytesPerStream - produced[i]));
                        if (keep > 0)
                        {
                            produced[i] += keep;
                            sink.OnOutput(i == 0 ? SandboxStream.Stdout : SandboxStream.Stderr, new ReadOnlySpan<byte>(p, (int)keep));
                        }

                        if (keep < r)
                        {
                            truncated = true;
                            Kill(FailureReason.OutputLimit);
                        }
                    }
                    else if (r == 0 || Libc.LastErrno is not (Libc.EAGAIN or Libc.EINTR))
                    {
                        fds[i].Fd = -1;
                    }
                }
            }

            if (!reaped && (fds[2].Revents & Libc.POLLIN) != 0)
            {
                wall = TimeProvider.System.GetElapsedTime(started);
                reaped = true;
                exitedAt = Environment.TickCount64;
                fds[2].Fd = -1;
                status = Spawner.Reap(child.Pidfd, child.Pid, out var s) ? s : null;
                report = ReadInitReport(statusFd);
            }

            if (reaped)
            {
                if ((fds[0].Fd < 0 && fds[1].Fd < 0) || Environment.TickCount64 >= exitedAt + (long)DrainTimeout.TotalMilliseconds)
                {
                    break;
                }

                continue;
            }

            now = Environment.TickCount64;
            if (now >= deadline)
            {
                Kill(FailureReason.Timeout);
            }

            if (now >= nextCpuCheck)
            {
                nextCpuCheck = now + (long)checkInterval.TotalMilliseconds;
                var cpu = cgroup.ReadCpu();
                cpuProgress?.Invoke(cpu);
                if (cpu >= limits.CpuTime)
                {
                    Kill(FailureReason.CpuLimit);
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                Kill(FailureReason.Signal);
            }
        }

        var usage = cgroup.ReadUsage();
        int? execErrno = report is { Kind: 1 } failed ? (int)failed.Value : null;
        int? dropErrno = report is { Kind: 3 } refused ? (int)refused.Value : null;
        if (report is { Kind: 2 } waited)
        {
            // The payload's own wait status, as sandrun-init saw it.
            var raw = (int)waited.Value;
            status = (raw & 0x7f) == 0 ? new ExitStatus((raw >> 8) & 0xff, null) : new ExitStatus(null, raw & 0x7f);
        }

        var reason = (execErrno ?? dropErrno) is not null && killReason is null ? FailureReason.SetupError : Classify(status, usage);
        return new MonitorResult(reason, (execErrno ?? dropErrno) is null ? status : null, wall, produced[0], produced[1], truncated, usage, execErrno, dropErrno, reaped);
    }

    /// <summary>
    /// First record sandrun-init wrote: {1, errno} when exec of the payload failed, {2, wait status} when it ended,
    /// {3, errno} when it could not drop the payload to the job's identity (the payload never ran).
    /// </summary>
    private static (long Kind, long Value)? ReadInitReport(int fd)
    {
        var record = stackalloc long[2];
        var r = Libc.Read(fd, (byte*)record, 16);
        return r == 16 ? (record[0], record[1]) : null;
    }

    private FailureReason Classify(ExitStatus? status, CgroupUsage usage)
    {
        if (killReason is { } reason)
        {
            return reason;
        }

        if (status is null)
        {
            return FailureReason.SetupError;
        }

        if (usage.OomKills > 0)
        {
            return FailureReason.MemoryLimit;
        }

        if (status.Value.Signal is { } signal)
        {
            // SIGKILL/SIGXCPU from the RLIMIT_CPU backstop count as the CPU limit.
            return (signal is 9 or 24) && usage.Cpu >= limits.CpuTime ? FailureReason.CpuLimit : FailureReason.Signal;
        }

        return status.Value.ExitCode == 0 ? FailureReason.None : FailureReason.ExitCode;
    }

    /// <summary>How a job ended, as seen by the monitor.</summary>
    public sealed record MonitorResult(FailureReason Reason, ExitStatus? Status, TimeSpan Wall, long Stdout, long Stderr, bool Truncated, CgroupUsage Usage, int? ExecErrno, int? DropErrno, bool Reaped);

    private void Kill(FailureReason reason)
    {
        killReason ??= reason;
        Libc.Syscall(Sys.PidfdSendSignal, child.Pidfd, Libc.SIGKILL, 0, 0, 0, 0);
    }
}
