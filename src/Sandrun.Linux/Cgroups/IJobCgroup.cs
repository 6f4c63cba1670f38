using Sandrun.Abstractions;

namespace Sandrun.Linux.Cgroups;

/// <summary>The cgroup(s) of one job: limits, accounting and kill. Disposing kills what is left and removes them.</summary>
internal interface IJobCgroup : IDisposable
{
    /// <summary>cgroup v2 directory fd for CLONE_INTO_CGROUP, or -1 when the parent attaches the child (v1).</summary>
    int CloneIntoFd { get; }

    /// <summary>Sets the job's limits (memory without swap, process count).</summary>
    void Apply(SandboxLimits limits);

    /// <summary>Moves a (not yet released) child into the cgroup(s). No-op with CLONE_INTO_CGROUP.</summary>
    void Attach(int pid);

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
