using System.Diagnostics;

namespace Sandrun.Linux.Tests;

/// <summary>
/// A job never outlives its supervisor (SPEC §4): when the process running the sandbox dies — SIGKILL, or SIGTERM
/// of a process that does not stop its jobs itself — every job process is gone within a second, and the next
/// start sweeps what the dead process left.
/// </summary>
[Collection("sandbox")]
public sealed class SupervisorDeathTests(SandboxFixture f)
{
    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    public async Task Every_job_process_dies_within_a_second_of_the_supervisor(string signal)
    {
        // Every process of this job carries the marker in its command line (other sandboxes may run on this host).
        var marker = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"600.{Random.Shared.Next(100000, 999999)}");
        var server = Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        var psi = new ProcessStartInfo("dotnet", ["exec", server, "exec", "--timeout", "600", "--", "sh", "-c",
            $"sleep {marker} & (sleep {marker} &) ; sh -c 'trap \"\" TERM HUP; sleep {marker}' & echo READY; wait"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var supervisor = Process.Start(psi)!;
        try
        {
            var ready = await supervisor.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("READY", ready);
            var jobProcesses = LeakChecks.JobProcesses(f.Options.HostIdBase, marker);
            Assert.True(jobProcesses.Count >= 5, $"expected init, sh and three sleepers, found {jobProcesses.Count}");

            using (var kill = Process.Start("kill", [$"-{signal}", supervisor.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            var deadline = Stopwatch.StartNew();
            while (LeakChecks.JobProcesses(f.Options.HostIdBase, marker).Count > 0 && deadline.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(10);
            }

            var left = LeakChecks.JobProcesses(f.Options.HostIdBase, marker);
            Assert.True(left.Count == 0 && deadline.Elapsed < TimeSpan.FromSeconds(1),
                $"{left.Count} job processes left {deadline.Elapsed.TotalMilliseconds:0} ms after SIG{signal} of the supervisor");
        }
        finally
        {
            if (!supervisor.HasExited)
            {
                supervisor.Kill();
            }

            await supervisor.WaitForExitAsync();
        }

        // The next start sweeps the dead process's cgroups, snapshots and workspace.
        var deadPid = supervisor.Id;
        var (code, _, _) = await ExecVerbTests.Exec("--", "true");
        Assert.Equal(0, code);
        Assert.Empty(LeakChecks.ServerCgroups(f.Options, deadPid));
        Assert.Empty(Directory.GetFileSystemEntries(f.Options.StateDirectory, $"*-{deadPid}-*"));
    }
}
