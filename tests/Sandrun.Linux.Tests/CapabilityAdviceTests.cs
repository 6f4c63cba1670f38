using Sandrun.Linux.Probe;

namespace Sandrun.Linux.Tests;

/// <summary>The capability report's tuning advice: cgroup v1 migrations without favordynmods.</summary>
public sealed class CapabilityAdviceTests
{
    private const string V1Memory = "35 26 0:30 / /sys/fs/cgroup/memory rw,relatime shared:14 - cgroup cgroup rw,memory";

    [Fact]
    public void Favordynmods_is_found_in_the_super_options_of_any_cgroup_mount()
    {
        Assert.False(CapabilityProbe.FavorsDynmods([V1Memory, "40 26 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"]));
        Assert.True(CapabilityProbe.FavorsDynmods([V1Memory, "40 26 0:35 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,favordynmods"]));
        Assert.True(CapabilityProbe.FavorsDynmods(["31 25 0:27 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate,favordynmods,memory_recursiveprot"]));

        // Only the filesystem's own options count, and only for cgroup filesystems.
        Assert.False(CapabilityProbe.FavorsDynmods(["50 26 0:40 / /favordynmods rw,relatime - tmpfs tmpfs rw,favordynmods"]));
        Assert.False(CapabilityProbe.FavorsDynmods(["51 26 0:41 / /mnt rw,favordynmods - cgroup cgroup rw,pids"]));
        Assert.False(CapabilityProbe.FavorsDynmods(["garbage", ""]));
    }

    [Fact]
    public void Advice_is_given_for_cgroup_v1_without_favordynmods_only()
    {
        var v1 = Report(v2: false, v1: true, favor: false);
        Assert.Contains("favordynmods", Assert.Single(v1.Advice), StringComparison.Ordinal);
        Assert.Contains("\n  advice: cgroup v1 without favordynmods", v1.ToString(), StringComparison.Ordinal);
        Assert.Empty(v1.Problems);

        Assert.Empty(Report(v2: false, v1: true, favor: true).Advice);
        Assert.Empty(Report(v2: true, v1: true, favor: false).Advice);
        Assert.Empty(Report(v2: false, v1: false, favor: false).Advice);
    }

    [Fact]
    public void This_host_is_probed_consistently_with_its_mount_table()
    {
        var report = CapabilityProbe.Probe(new LinuxSandboxOptions());
        Assert.Equal(CapabilityProbe.FavorsDynmods(File.ReadLines("/proc/self/mountinfo")), report.CgroupFavorDynmods);
    }

    private static CapabilityReport Report(bool v2, bool v1, bool favor) => new()
    {
        Architecture = "x64",
        Kernel = "6.18",
        SpawnRoutine = true,
        Root = true,
        Namespaces = true,
        Clone3 = true,
        Seccomp = true,
        MountSetattr = true,
        Overlay = true,
        CloseRangeCloexec = true,
        LandlockAbi = 6,
        CapLastCap = 40,
        CgroupV2Controllers = v2,
        CgroupV1Controllers = v1,
        CgroupFavorDynmods = favor,
    };
}
