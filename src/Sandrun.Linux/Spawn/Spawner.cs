using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Spawn;

/// <summary>A child that has been cloned and is waiting (blocked on the sync pipe) for the parent.</summary>
internal readonly record struct ClonedChild(int Pid, int Pidfd);

/// <summary>How the child's setup went after the parent released it.</summary>
internal readonly record struct SpawnOutcome(bool Execed, PlanStep? FailedStep, int Errno);

/// <summary>
/// Runs a <see cref="NativePlan"/>: clone through the native routine, let the caller do the parent-side
/// work (uid/gid maps, cgroup v1 attach) while the child waits, release it, and wait for exec or a
/// {step, errno} report on the CLOEXEC error pipe.
/// </summary>
internal static unsafe class Spawner
{
    /// <summary>Clones the child. The plan and its stack must stay alive until <see cref="Release"/> returns.</summary>
    public static ClonedChild Clone(NativePlan plan)
    {
        var result = SpawnRoutine.Invoke(plan.Header);
        if (result < 0)
        {
            if (plan.ThreadTainted)
            {
                // Restoring this thread's network namespace or identity failed: kill the child (if any); the
                // caller must retire this thread.
                if (plan.ClonedPid > 0)
                {
                    KillAndReap(plan.Pidfd, (int)plan.ClonedPid);
                }

                throw new TaintedThreadException(Libc.Error("restore the spawning thread's network namespace and identity", (int)-result));
            }

            throw Libc.Error(plan.ClonedPid == 0 ? "join the job's network namespace and identity before the clone" : "clone", (int)-result);
        }

        return new ClonedChild((int)result, plan.Pidfd);
    }

    /// <summary>
    /// Releases the child: one byte on the sync pipe starts its setup; after <paramref name="waitForStart"/> returns (at
    /// once when null), a second byte lets it exec. Then waits until it exec'd or reported a failure.
    /// </summary>
    public static SpawnOutcome Release(NativePlan plan, ClonedChild child, int syncWriteFd, int errReadFd, TimeSpan timeout, Action? waitForStart)
    {
        var go = stackalloc byte[2] { 1, 1 };
        var first = waitForStart is null ? 2 : 1;
        if (Libc.Write(syncWriteFd, go, first) != first)
        {
            throw Libc.Error("release the sandbox child");
        }

        if (waitForStart is not null)
        {
            waitForStart();

            // EPIPE: the child's setup failed and it exited; its report is on the error pipe.
            if (Libc.Write(syncWriteFd, go, 1) != 1 && Libc.LastErrno != Libc.EPIPE)
            {
                throw Libc.Error("start the sandboxed program");
            }
        }

        var report = stackalloc long[2];
        var got = 0;
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var pfd = new Libc.PollFd { Fd = errReadFd, Events = Libc.POLLIN };
            var remaining = (int)Math.Max(0, deadline - Environment.TickCount64);
            var n = Libc.Poll(&pfd, 1, remaining);
            if (n < 0 && Libc.LastErrno == Libc.EINTR)
            {
                continue;
            }

            if (n == 0)
            {
                // Setup hangs (e.g. a mount source on a stuck filesystem): kill it; EOF follows.
                KillAndReap(child.Pidfd, child.Pid);
                throw new TimeoutException($"sandbox setup did not reach exec within {timeout.TotalSeconds:0.#} s");
            }

            var r = Libc.Read(errReadFd, (byte*)report + got, 16 - got);
            if (r < 0 && Libc.LastErrno == Libc.EINTR)
            {
                continue;
            }

            if (r <= 0)
            {
                break;
            }

            got += (int)r;
            if (got == 16)
            {
                break;
            }
        }

        if (got == 0)
        {
            return new SpawnOutcome(true, null, 0);
        }

        var index = (int)report[0];
        var step = index >= 0 && index < plan.Steps.Count ? plan.Steps[index] : null;
        return new SpawnOutcome(false, step, (int)report[1]);
    }

    /// <summary>SIGKILLs and reaps a child through its pidfd.</summary>
    public static void KillAndReap(int pidfd, int pid)
    {
        if (pidfd >= 0)
        {
            Libc.Syscall(Sys.PidfdSendSignal, pidfd, Libc.SIGKILL, 0, 0, 0, 0);
        }

        Reap(pidfd, pid, out _);
    }

    /// <summary>Waits for the child to exit. Returns false when someone else already reaped it (ECHILD).</summary>
    public static bool Reap(int pidfd, int pid, out ExitStatus status)
    {
        var info = stackalloc byte[128];
        while (true)
        {
            long r = pidfd >= 0
                ? Libc.Syscall(Sys.Waitid, 3 /* P_PIDFD */, pidfd, (long)info, 4 /* WEXITED */, 0, 0)
                : Libc.Syscall(Sys.Waitid, 1 /* P_PID */, pid, (long)info, 4, 0, 0);
            if (r == 0)
            {
                var code = *(int*)(info + 8);
                var value = *(int*)(info + 24);
                status = code == 1 ? new ExitStatus(value, null) : new ExitStatus(null, value);
                return true;
            }

            var errno = Libc.LastErrno;
            if (errno == Libc.EINTR)
            {
                continue;
            }

            status = default;
            if (errno == Libc.ECHILD)
            {
                return false;
            }

            throw Libc.Error("waitid", errno);
        }
    }
}

/// <summary>Exit code or terminating signal of a process.</summary>
internal readonly record struct ExitStatus(int? ExitCode, int? Signal);

/// <summary>The spawning thread could not return to the host network namespace or its own identity and must not be reused.</summary>
internal sealed class TaintedThreadException(Exception inner) : Exception(inner.Message, inner);
