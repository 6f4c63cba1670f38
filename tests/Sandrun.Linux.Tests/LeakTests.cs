using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>After jobs that were killed in every way and the sandbox is disposed, nothing is left on the host.</summary>
[Collection("sandbox")]
public sealed class LeakTests(SandboxFixture f)
{
    [Fact]
    public async Task Killed_and_crashed_jobs_leave_no_cgroups_mounts_processes_or_directories()
    {
        var limits = SandboxFixture.Limits with { WallTimeout = TimeSpan.FromSeconds(4), CpuTime = TimeSpan.FromSeconds(1), MemoryBytes = 48L << 20, OutputBytesPerStream = 10_000 };
        var jobs = new (string[] Argv, FailureReason Expected)[]
        {
            (["sh", "-c", "for i in 1 2 3 4 5; do sleep 60 & done; sleep 60"], FailureReason.Timeout),
            (["sh", "-c", "while :; do :; done"], FailureReason.CpuLimit),
            (["python3", "-c", "x = b'x' * (1 << 30)"], FailureReason.MemoryLimit),
            (["yes"], FailureReason.OutputLimit),
            (["python3", "-c", "import os\nif os.fork() == 0:\n  os.setsid()\n  import time; time.sleep(60)\n"], FailureReason.None),
            (["sh", "-c", "kill -SEGV $$"], FailureReason.Signal),
            (["/nonexistent"], FailureReason.SetupError),
        };

        // Its own uid range too: jobs other tests left finishing on the shared fixture run under the default one.
        var options = new LinuxSandboxOptions { CgroupName = "sandrun-leaktest", StateDirectory = "/run/sandrun-leaktest", HostIdBase = 2_100_000_000 };
        var sandbox = new LinuxSandbox(options, NullLogger.Instance, null);
        var workspaces = new List<string>();
        foreach (var (argv, expected) in jobs)
        {
            using var ws = f.NewWorkspace();
            workspaces.Add(ws.Path);
            var sink = new CollectingSink();
            var result = await sandbox.RunAsync(new SandboxSpec(argv, ws.Path, limits), sink);
            Assert.True(expected == result.FailureReason, $"{string.Join(' ', argv)}: {result} {sink.Stderr}");
        }

        var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        using (var ws = f.NewWorkspace())
        {
            workspaces.Add(ws.Path);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                sandbox.RunAsync(new SandboxSpec(["sleep", "60"], ws.Path, limits), new CollectingSink(), cancelled.Token));
        }

        Assert.Empty(LeakChecks.JobProcesses(options.HostIdBase));
        sandbox.Dispose();
        Assert.Empty(LeakChecks.JobCgroups(options));
        Assert.Empty(LeakChecks.ServerCgroups(options));
        Assert.Empty(LeakChecks.Mounts(options.StateDirectory));
        Assert.Equal(["root"], Directory.GetFileSystemEntries(options.StateDirectory).Select(Path.GetFileName));

        // This test's own workspaces (other tests' jobs may still be finishing on the shared fixture, with theirs).
        Assert.Empty(LeakChecks.Mounts("/run/sandrun-tests").Intersect(workspaces));
        Assert.DoesNotContain(workspaces, Directory.Exists);
    }
}
