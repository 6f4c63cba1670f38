using System.Globalization;
using Sandrun.Abstractions;
using Sandrun.Linux.Cgroups;

namespace Sandrun.Linux.Tests;

/// <summary>cgroup v2 against a fake cgroupfs tree (this host's controllers are bound to v1).</summary>
public sealed class CgroupV2FakeTreeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("fake-cgroup2").FullName;

    private string Self => Directory.GetDirectories(Path.Combine(root, "sandrun"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-*").Single();

    public void Dispose() => Directory.Delete(root, true);

    [Fact]
    public void Factory_enables_missing_controllers_at_every_level()
    {
        File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        File.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), "cpu memory\n");
        var factory = new CgroupV2Factory(root, "sandrun");
        // Only the missing controller is enabled (a plain file keeps the old tail; cgroupfs would not).
        var rootControl = File.ReadAllText(Path.Combine(root, "cgroup.subtree_control"));
        Assert.StartsWith("+pids", rootControl, StringComparison.Ordinal);
        Assert.DoesNotContain("+memory", rootControl, StringComparison.Ordinal);
        Assert.Equal("+memory +pids +cpu", File.ReadAllText(Path.Combine(root, "sandrun", "cgroup.subtree_control")));
        Assert.Equal("+memory +pids +cpu", File.ReadAllText(Path.Combine(Self, "cgroup.subtree_control")));
        Assert.True(factory.UsesCloneInto);
    }

    [Fact]
    public void Missing_controllers_are_named_in_the_refusal()
    {
        File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "cpu io\n");
        var e = Assert.Throws<SandboxUnavailableException>(() => new CgroupV2Factory(root, "sandrun"));
        Assert.Contains("memory, pids", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Job_limits_are_written_and_accounting_is_parsed()
    {
        File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "memory pids cpu\n");
        var factory = new CgroupV2Factory(root, "sandrun");
        var jobDir = Path.Combine(Self, "job2");
        Directory.CreateDirectory(jobDir);
        File.WriteAllText(Path.Combine(jobDir, "memory.swap.max"), string.Empty);
        Directory.Delete(jobDir, true);

        // The kernel creates control files with the directory; memory.swap.max only exists with swap accounting.
        var job = factory.Create("job2");
        job.Apply(SandboxLimits.Default with { MemoryBytes = 64L << 20, MaxProcesses = 9 });
        Assert.Equal((64L << 20).ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(jobDir, "memory.max")));
        Assert.Equal("9", File.ReadAllText(Path.Combine(jobDir, "pids.max")));
        Assert.False(File.Exists(Path.Combine(jobDir, "memory.swap.max")));
        Assert.True(job.CloneIntoFd >= 0);

        File.WriteAllText(Path.Combine(jobDir, "cpu.stat"), "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n");
        File.WriteAllText(Path.Combine(jobDir, "memory.peak"), "52428800\n");
        File.WriteAllText(Path.Combine(jobDir, "memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
        var usage = job.ReadUsage();
        Assert.Equal(TimeSpan.FromSeconds(1.5), usage.Cpu);
        Assert.Equal(50L << 20, usage.MemoryPeakBytes);
        Assert.Equal(1, usage.OomKills);
        Assert.Equal(TimeSpan.FromSeconds(1.5), job.ReadCpu());
    }

    [Fact]
    public void Disposing_the_factory_removes_its_instance_cgroup_once_empty()
    {
        File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "memory pids cpu\n");
        var factory = new CgroupV2Factory(root, "sandrun");
        var self = Self;
        File.Delete(Path.Combine(self, "cgroup.subtree_control"));
        factory.Dispose();
        Assert.False(Directory.Exists(self));
    }

    [Fact]
    public void Stale_server_directories_are_swept_at_startup()
    {
        File.WriteAllText(Path.Combine(root, "cgroup.controllers"), "memory pids cpu\n");
        var stale = Path.Combine(root, "sandrun", "999999999-1", "job-old");
        Directory.CreateDirectory(stale);
        var live = Path.Combine(root, "sandrun", "1-1", "job-live");
        Directory.CreateDirectory(live);
        _ = new CgroupV2Factory(root, "sandrun");
        Assert.False(Directory.Exists(Path.GetDirectoryName(stale)));
        Assert.True(Directory.Exists(live), "pid 1 is alive: its cgroups are not ours to remove");
    }
}
