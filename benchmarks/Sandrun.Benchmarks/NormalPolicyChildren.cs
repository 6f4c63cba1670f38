using System.Runtime.InteropServices;
using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Benchmarks;

/// <summary>
/// Starts baseline processes at the normal scheduling policy, as Sandrun starts its jobs, whatever policy the harness
/// runs under (<c>chrt -f</c>): the calling thread keeps its realtime policy but has <c>SCHED_RESET_ON_FORK</c> set
/// while it forks, so the launcher costs what it did and only the child runs at <c>SCHED_OTHER</c>. A wrapper
/// (<c>chrt -o 0 PROGRAM</c>) would add an exec to the baseline and make the floor look slower than it is.
/// </summary>
internal static class NormalPolicyChildren
{
    private const long SCHED_FIFO = 1, SCHED_RR = 2, SCHED_RESET_ON_FORK = 0x40000000;
    private static readonly SyscallTable Table = SyscallTable.Current!;

    /// <summary>Runs <paramref name="start"/> (which must fork on the calling thread, as <c>Process.Start</c> does) with the flag set.</summary>
    public static T Start<T>(Func<T> start)
    {
        var policy = Libc.Syscall(Table["sched_getscheduler"], 0, 0, 0, 0, 0, 0);
        if (policy is not (SCHED_FIFO or SCHED_RR))
        {
            return start();
        }

        var param = Marshal.AllocHGlobal(8);
        try
        {
            Check(Libc.Syscall(Table["sched_getparam"], 0, (long)param, 0, 0, 0, 0), "sched_getparam");
            Check(Libc.Syscall(Table["sched_setscheduler"], 0, policy | SCHED_RESET_ON_FORK, (long)param, 0, 0, 0), "sched_setscheduler");
            try
            {
                return start();
            }
            finally
            {
                Check(Libc.Syscall(Table["sched_setscheduler"], 0, policy, (long)param, 0, 0, 0), "sched_setscheduler");
            }
        }
        finally
        {
            Marshal.FreeHGlobal(param);
        }
    }

    private static void Check(long result, string what)
    {
        if (result < 0)
        {
            throw Libc.Error(what);
        }
    }
}
