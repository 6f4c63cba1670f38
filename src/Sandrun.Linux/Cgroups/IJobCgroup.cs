using Sandrun.Abstractions;

namespace Sandrun.Linux.Cgroups;

/// <summary>The cgroup(s) of one job: limits, accounting and kill. Disposing kills what is left and removes them.</summary>
internal interface IJobCgroup : IDisposable
{
    /// <summary>cgroup v2 directory fd for CLONE_INTO_CGROUP, or -1 when the child joins through <see cref="TaskFds"/> (v1).</summary>
    int CloneIntoFd { get; }

    /// <summary>
    /// cgroup v1: write-only, close-on-exec fds of each controller's <c>tasks</c> file, to which the child writes "0" as its
    /// first step and so moves itself in before anything else it does. Moving the calling thread takes no global
    /// threadgroup lock, where the parent writing the child's pid to <c>cgroup.procs</c> waited an RCU grace period
    /// (~1 ms) per spawn. Empty when the child is born inside the cgroup (v2, CLONE_INTO_CGROUP).
    /// </summary>
    IReadOnlyList<int> TaskFds { get; }

    /// <summary>Sets the job's limits (memory without swap, process count).</summary>
    void Apply(SandboxLimits limits);

    /// <summary>CPU time used so far by all processes of the job.</summary>
    TimeSpan ReadCpu();

    /// <summary>Final accounting.</summary>
    CgroupUsage ReadUsage();

    /// <summary>SIGKILLs every process in the cgroup.</summary>
    void KillAll();
}

/// <summary>Per-job accounting from the cgroup.</summary>
internal readonly record struct CgroupUsage(TimeSpan Cpu, long MemoryPeakBytes, long OomKills);

/// <summary>Creates job cgroups on one hierarchy. Disposing removes its per-process parent cgroups once they are empty.</summary>
internal interface ICgroupFactory : IDisposable
{
    /// <summary>"v1" or "v2", with the controllers used.</summary>
    string Description { get; }

    /// <summary>True when children are placed with CLONE_INTO_CGROUP.</summary>
    bool UsesCloneInto { get; }

    /// <summary>Creates an empty job cgroup without limits; <see cref="IJobCgroup.Apply"/> sets them.</summary>
    IJobCgroup Create(string name);
}
