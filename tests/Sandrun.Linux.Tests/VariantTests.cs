using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;
using Sandrun.Linux.Probe;

namespace Sandrun.Linux.Tests;

/// <summary>The fallbacks and alternatives work for real: clone(2) instead of clone3, a netns created by the clone.</summary>
[Collection("sandbox")]
public sealed class VariantTests(SandboxFixture f)
{
    [Fact]
    public async Task Clone2_fallback_runs_a_fully_isolated_job()
    {
        var report = CapabilityProbe.Probe(f.Options) with { Clone3 = false };
        using var sandbox = new LinuxSandbox(new LinuxSandboxOptions(), NullLogger.Instance, report);
        Assert.Contains("clone,", sandbox.Describe() + ",", StringComparison.Ordinal);
        var run = await RunOn(sandbox, "grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status; id -u; hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /proc/self/stat | cut -d' ' -f1");
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Contains("CapEff:\t0000000000000000", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("65534\nsandrun\nsandrun-init /bin/sh", run.Stdout, StringComparison.Ordinal);

        var timeout = await RunOn(sandbox, "sleep 30", SandboxFixture.Limits with { WallTimeout = TimeSpan.FromSeconds(1) });
        Assert.Equal(FailureReason.Timeout, timeout.Result.FailureReason);
    }

    [Fact]
    public async Task Clone_created_network_namespace_leaves_only_a_down_loopback()
    {
        using var sandbox = new LinuxSandbox(new LinuxSandboxOptions { Network = NetworkIsolation.PerJobNamespace }, NullLogger.Instance, null);
        Assert.Contains("created by the clone", sandbox.Describe(), StringComparison.Ordinal);
        var run = await RunOn(sandbox, "python3 -c \"import socket; s=socket.socket(); print(s.connect_ex(('127.0.0.1', 80)))\"; ls /sys/class/net 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1");
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Contains("101", run.Stdout, StringComparison.Ordinal);
        Assert.Equal("lo", run.Stdout.Trim().Split('\n')[^1].Trim());
    }

    private static async Task<JobRun> RunOn(LinuxSandbox sandbox, string script, SandboxLimits? limits = null)
    {
        using var ws = Workspace.TmpfsWorkspace.Create(Path.Combine("/run/sandrun-tests", Guid.NewGuid().ToString("n")), 1 << 20, sandbox.JobHostUid, sandbox.JobHostGid);
        var sink = new CollectingSink();
        var result = await sandbox.RunAsync(new SandboxSpec(["/bin/sh", "-c", script], ws.Path, limits ?? SandboxFixture.Limits), sink);
        return new JobRun(result, sink.Stdout, sink.Stderr, sink.StdoutBytes);
    }
}
