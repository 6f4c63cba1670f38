using System.Globalization;
using Sandrun.Abstractions;
using Sandrun.Linux.Execution;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Cgroups;

/// <summary>
/// cgroup v1: one directory per job in each of the memory, pids and cpuacct hierarchies, below
/// <c>{controller}/{name}/{server pid}-{instance}/</c>. The child writes "0" to each <c>tasks</c> file through fds
/// opened here (<see cref="IJobCgroup.TaskFds"/>) as the first step of its setup, so no instruction of the job runs
/// outside its cgroups.
/// </summary>
internal sealed class CgroupV1Factory : ICgroupFactory
{
    private readonly string memoryParent;
    private readonly string pidsParent;
    private readonly string cpuacctParent;

    public CgroupV1Factory(string root, string name)
    {
        var memory = Path.Combine(root, "memory");
        var pids = Path.Combine(root, "pids");
        var cpuacct = new[] { "cpuacct", "cpu,cpuacct", "cpuacct,cpu" }.Select(d => Path.Combine(root, d))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "cpuacct.usage")));
        if (!File.Exists(Path.Combine(memory, "memory.limit_in_bytes")))
        {
            throw new SandboxUnavailableException($"cgroup v1 memory controller not found at {memory}");
        }

        if (!File.Exists(Path.Combine(pids, "pids.max")) && !File.Exists(Path.Combine(pids, "cgroup.procs")))
        {
            throw new SandboxUnavailableException($"cgroup v1 pids controller not found at {pids}");
        }

        if (cpuacct is null)
        {
            throw new SandboxUnavailableException($"cgroup v1 cpuacct controller not found under {root}");
        }

        var self = CgroupSweeper.InstanceName();
        memoryParent = Path.Combine(memory, name, self);
        pidsParent = Path.Combine(pids, name, self);
        cpuacctParent = Path.Combine(cpuacct, name, self);
        foreach (var controller in new[] { memory, pids, cpuacct })
        {
            CgroupSweeper.RemoveStale(Path.Combine(controller, name));
        }

        foreach (var dir in new[] { memoryParent, pidsParent, cpuacctParent })
        {
            CgroupFiles.MkdirIfMissing(dir);
        }

        HasMemsw = File.Exists(Path.Combine(memoryParent, "memory.memsw.limit_in_bytes"));
        Description = $"v1 (memory{(HasMemsw ? "+memsw" : "")}, pids, cpuacct)";
    }

    public string Description { get; }

    public bool UsesCloneInto => false;

    private bool HasMemsw { get; }

    public void Dispose()
    {
        foreach (var dir in new[] { memoryParent, pidsParent, cpuacctParent })
        {
            CgroupFiles.RemoveIfUnused(dir);
        }
    }

    public IJobCgroup Create(string name)
    {
        var job = new Job(Path.Combine(memoryParent, name), Path.Combine(pidsParent, name), Path.Combine(cpuacctParent, name), HasMemsw);
        try
        {
            CgroupFiles.Mkdir(job.Memory);
            CgroupFiles.Mkdir(job.Pids);
            CgroupFiles.Mkdir(job.Cpuacct);
            job.OpenTasks();
            return job;
        }
        catch
        {
            job.Dispose();
            throw;
        }
    }

    private sealed class Job(string memory, string pids, string cpuacct, bool hasMemsw) : IJobCgroup
    {
        private readonly int[] tasks = [-1, -1, -1];

        public string Memory { get; } = memory;

        public string Pids { get; } = pids;

        public string Cpuacct { get; } = cpuacct;

        public int CloneIntoFd => -1;

        public IReadOnlyList<int> TaskFds => tasks;

        public void Apply(SandboxLimits limits)
        {
            // memory before memory+swap (memsw must stay ≥ memory); both equal: no swap at all.
            var bytes = limits.MemoryBytes.ToString(CultureInfo.InvariantCulture);
            CgroupFiles.Write(Path.Combine(Memory, "memory.limit_in_bytes"), bytes);
            if (hasMemsw)
            {
                CgroupFiles.Write(Path.Combine(Memory, "memory.memsw.limit_in_bytes"), bytes);
            }
            else
            {
                CgroupFiles.Write(Path.Combine(Memory, "memory.swappiness"), "0");
            }

            CgroupFiles.Write(Path.Combine(Pids, "pids.max"), limits.MaxProcesses.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>Opens the <c>tasks</c> files the child joins through; done with the mkdir, off the spawn path when pooled.</summary>
        public void OpenTasks()
        {
            string[] dirs = [Memory, Pids, Cpuacct];
            for (var i = 0; i < dirs.Length; i++)
            {
                var path = Path.Combine(dirs[i], "tasks");
                tasks[i] = ChildPipes.High(Libc.Open(path, Libc.O_WRONLY | Libc.O_CLOEXEC, 0), $"open {path}");
            }
        }

        public TimeSpan ReadCpu() => TimeSpan.FromTicks(CgroupFiles.ReadLong(Path.Combine(Cpuacct, "cpuacct.usage")) / 100);

        public CgroupUsage ReadUsage() => new(
            ReadCpu(),
            CgroupFiles.ReadLong(Path.Combine(Memory, "memory.max_usage_in_bytes")),
            CgroupFiles.ReadKey(Path.Combine(Memory, "memory.oom_control"), "oom_kill"));

        public void KillAll() => CgroupFiles.KillUntilEmpty(Path.Combine(Pids, "cgroup.procs"), TimeSpan.FromSeconds(5));

        public void Dispose()
        {
            for (var i = 0; i < tasks.Length; i++)
            {
                Libc.CloseQuietly(ref tasks[i]);
            }

            // pids first: once it is empty, nothing of the job is left anywhere.
            foreach (var dir in new[] { Pids, Memory, Cpuacct })
            {
                CgroupFiles.Remove(dir, TimeSpan.FromSeconds(5));
            }
        }
    }
}
