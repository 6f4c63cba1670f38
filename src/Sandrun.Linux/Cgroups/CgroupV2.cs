using System.Globalization;
using Sandrun.Abstractions;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Cgroups;

/// <summary>
/// cgroup v2: one directory per job below <c>{root}/{name}/{server pid}-{instance}/</c> with memory.max,
/// memory.swap.max=0 and pids.max; the child is born inside it (CLONE_INTO_CGROUP), accounting comes from
/// cpu.stat, memory.peak and memory.events, and cgroup.kill ends every process at once.
/// </summary>
internal sealed class CgroupV2Factory : ICgroupFactory
{
    private static readonly string[] Required = ["memory", "pids", "cpu"];
    private readonly string parent;

    public CgroupV2Factory(string root, string name)
    {
        var controllersFile = Path.Combine(root, "cgroup.controllers");
        if (!File.Exists(controllersFile))
        {
            throw new SandboxUnavailableException($"no cgroup v2 hierarchy at {root} (cgroup.controllers missing)");
        }

        var available = CgroupFiles.Read(controllersFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var missing = Required.Where(c => !available.Contains(c)).ToArray();
        if (missing.Length > 0)
        {
            throw new SandboxUnavailableException(
                $"cgroup v2 at {root} lacks the {string.Join(", ", missing)} controller(s) (available: '{string.Join(' ', available)}'); on a hybrid host they are bound to v1");
        }

        var sandrun = Path.Combine(root, name);
        CgroupSweeper.RemoveStale(sandrun);
        parent = Path.Combine(sandrun, CgroupSweeper.InstanceName());
        EnableControllers(root);
        CgroupFiles.MkdirIfMissing(sandrun);
        EnableControllers(sandrun);
        CgroupFiles.MkdirIfMissing(parent);
        EnableControllers(parent);
        HasKill = File.Exists(Path.Combine(parent, "cgroup.kill"));
        Description = $"v2 (memory, pids, cpu{(HasKill ? ", cgroup.kill" : "")})";
    }

    public string Description { get; }

    public bool UsesCloneInto => true;

    private bool HasKill { get; }

    public void Dispose() => CgroupFiles.RemoveIfUnused(parent);

    public IJobCgroup Create(string name)
    {
        var dir = Path.Combine(parent, name);
        CgroupFiles.Mkdir(dir);
        var job = new Job(dir, HasKill);
        try
        {
            job.OpenDirectory();
            return job;
        }
        catch
        {
            job.Dispose();
            throw;
        }
    }

    private static void EnableControllers(string dir)
    {
        var control = Path.Combine(dir, "cgroup.subtree_control");
        var enabled = File.Exists(control) ? CgroupFiles.Read(control) : string.Empty;
        var wanted = Required.Where(c => !enabled.Split(' ', StringSplitOptions.TrimEntries).Contains(c)).ToArray();
        if (wanted.Length > 0)
        {
            CgroupFiles.Write(control, string.Join(' ', wanted.Select(c => "+" + c)));
        }
    }

    private sealed class Job(string dir, bool hasKill) : IJobCgroup
    {
        private int fd = -1;

        public int CloneIntoFd => fd;

        public IReadOnlyList<int> TaskFds => [];

        public void Apply(SandboxLimits limits)
        {
            CgroupFiles.Write(Path.Combine(dir, "memory.max"), limits.MemoryBytes.ToString(CultureInfo.InvariantCulture));
            if (File.Exists(Path.Combine(dir, "memory.swap.max")))
            {
                CgroupFiles.Write(Path.Combine(dir, "memory.swap.max"), "0");
            }

            CgroupFiles.Write(Path.Combine(dir, "pids.max"), limits.MaxProcesses.ToString(CultureInfo.InvariantCulture));
        }

        public void OpenDirectory()
        {
            fd = Libc.Open(dir, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
            if (fd < 0)
            {
                throw Libc.Error($"open cgroup {dir}");
            }
        }

        public TimeSpan ReadCpu() => TimeSpan.FromTicks(CgroupFiles.ReadKey(Path.Combine(dir, "cpu.stat"), "usage_usec") * 10);

        public CgroupUsage ReadUsage()
        {
            var peakFile = Path.Combine(dir, "memory.peak");
            var peak = File.Exists(peakFile) ? CgroupFiles.ReadLong(peakFile) : CgroupFiles.ReadLong(Path.Combine(dir, "memory.current"));
            return new CgroupUsage(ReadCpu(), peak, CgroupFiles.ReadKey(Path.Combine(dir, "memory.events"), "oom_kill"));
        }

        public void KillAll()
        {
            if (hasKill)
            {
                CgroupFiles.Write(Path.Combine(dir, "cgroup.kill"), "1");
            }

            CgroupFiles.KillUntilEmpty(Path.Combine(dir, "cgroup.procs"), TimeSpan.FromSeconds(5));
        }

        public void Dispose()
        {
            Libc.CloseQuietly(ref fd);
            CgroupFiles.Remove(dir, TimeSpan.FromSeconds(5));
        }
    }
}
