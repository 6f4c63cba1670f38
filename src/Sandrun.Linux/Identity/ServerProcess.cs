using Sandrun.Linux.Execution;
using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Identity;

/// <summary>Facts about the server process that every spawn uses: its pidfd and the threads' securebits.</summary>
internal static class ServerProcess
{
    private const int PR_GET_SECUREBITS = 27;

    /// <summary>A CLOEXEC pidfd of this process: readable once it has exited.</summary>
    public static int OpenPidfd()
    {
        var fd = (int)Libc.Syscall(Sys.PidfdOpen, Environment.ProcessId, 0, 0, 0, 0, 0);
        if (fd < 0)
        {
            throw Libc.Error("pidfd_open of the server process");
        }

        return ChildPipes.High(fd, "pidfd_open");
    }

    /// <summary>The calling thread's securebits (the same on every thread of the server).</summary>
    public static long Securebits()
    {
        var bits = Libc.Syscall(Sys.Prctl, PR_GET_SECUREBITS, 0, 0, 0, 0, 0);
        return bits >= 0 ? bits : throw Libc.Error("prctl(PR_GET_SECUREBITS)");
    }
}
