using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;
using Sandrun.Linux.Probe;

namespace Sandrun.Linux.Tests;

/// <summary>When a required feature is missing, jobs are refused with a precise error and nothing runs.</summary>
[Collection("sandbox")]
public sealed class FailClosedTests(SandboxFixture f)
{
    public static TheoryData<string, string> MissingFeatures => new()
    {
        { "namespaces", "namespaces" },
        { "seccomp", "seccomp" },
        { "root", "root" },
        { "cgroups", "cgroup" },
        { "mount_setattr", "mount_setattr" },
        { "close_range", "close_range" },
        { "identities", "its own host uid" },
        { "overlay", "overlayfs" },
        { "spawn", "spawn routine" },
    };

    [Theory]
    [MemberData(nameof(MissingFeatures))]
    public async Task Missing_feature_refuses_every_job_and_executes_nothing(string feature, string expectedInMessage)
    {
        var probed = CapabilityProbe.Probe(f.Options);
        var report = feature switch
        {
            "namespaces" => probed with { Namespaces = false },
            "seccomp" => probed with { Seccomp = false },
            "root" => probed with { Root = false },
            "cgroups" => probed with { CgroupV1Controllers = false, CgroupV2Controllers = false },
            "mount_setattr" => probed with { MountSetattr = false },
            "close_range" => probed with { CloseRangeCloexec = false },
            "identities" => probed with { JobIdentities = false },
            "overlay" => probed with { Overlay = false },
            _ => probed with { SpawnRoutine = false },
        };
        using var sandbox = new LinuxSandbox(new LinuxSandboxOptions(), NullLogger.Instance, report);
        await AssertRefusedAsync(sandbox, expectedInMessage);
    }

    [Fact]
    public async Task Requiring_cgroup_v2_on_a_host_without_v2_controllers_refuses_jobs()
    {
        // This host has an empty cgroup2 mount (controllers bound to v1): exactly the case to refuse.
        using var sandbox = new LinuxSandbox(new LinuxSandboxOptions { Cgroups = CgroupMode.V2, CgroupV2Root = "/sys/fs/cgroup/unified" }, NullLogger.Instance, null);
        await AssertRefusedAsync(sandbox, "lacks the memory, pids, cpu controller");
    }

    [Fact]
    public async Task A_cgroup_root_that_is_not_a_cgroup_hierarchy_refuses_jobs()
    {
        var fake = Directory.CreateTempSubdirectory("not-cgroup").FullName;
        using var sandbox = new LinuxSandbox(new LinuxSandboxOptions { Cgroups = CgroupMode.V1, CgroupV1Root = fake }, NullLogger.Instance, null);
        await AssertRefusedAsync(sandbox, "cgroup");
        Directory.Delete(fake, true);
    }

    [Fact]
    public async Task An_isolation_step_failing_at_spawn_time_refuses_the_job()
    {
        // A read-only directory the job's user namespace may not enter makes a mount step fail inside the child.
        var marker = Directory.CreateTempSubdirectory("unbindable").FullName;
        File.SetUnixFileMode(marker, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(marker, "sub"));
        try
        {
            var e = await AssertRefusedAsync(f.Sandbox, "enter", new ReadOnlyMount(Path.Combine(marker, "sub"), "/opt/sub"));
            Assert.Contains("EACCES", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(marker, true);
        }
    }

    private async Task<SandboxUnavailableException> AssertRefusedAsync(LinuxSandbox sandbox, string expectedInMessage, params ReadOnlyMount[] readOnlyMounts)
    {
        using var ws = f.NewWorkspace();
        var marker = Path.Combine(ws.Path, "ran");
        var spec = new SandboxSpec(["/bin/sh", "-c", "touch /workspace/ran"], ws.Path, SandboxFixture.Limits) { ReadOnlyMounts = readOnlyMounts };
        var e = await Assert.ThrowsAsync<SandboxUnavailableException>(() => sandbox.RunAsync(spec, new CollectingSink()));
        Assert.Contains(expectedInMessage, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker), "nothing may run when isolation is unavailable");
        return e;
    }
}
