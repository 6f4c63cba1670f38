using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Linux;
using Sandrun.Linux.Workspace;

namespace Sandrun.Benchmarks;

/// <summary>
/// Start→exit→reaped latency of /bin/true: Sandrun with full isolation (its fresh per-job network namespace
/// taken from the pool, and created by the clone), a bare
/// fork+exec (Process.Start), and bwrap with equivalent isolation — all measured in the same run and
/// reported as ratios. Every variant's program runs at the normal scheduling policy (Sandrun drops a realtime one
/// for its jobs; the baselines are forked with SCHED_RESET_ON_FORK), while every launcher keeps the harness's. Variants run in alternating blocks rather than strictly interleaved: a per-job
/// netns is torn down asynchronously by the kernel, and that work would otherwise be billed to the next
/// variant in line.
/// </summary>
internal static class SpawnLatency
{
    private static readonly string[] BwrapArgs =
    [
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup", "--unshare-net",
        "--uid", "65534", "--gid", "65534", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--die-with-parent", "/bin/true",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length >= 2 && args[0] == "--retained")
        {
            return await RetainedAsync([.. args[1].Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture))],
                args.Length >= 4 && args[2] == "--iterations" ? int.Parse(args[3], CultureInfo.InvariantCulture) : 400);
        }

        var iterations = args.Length >= 2 && args[0] == "--iterations" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        using var pooled = new LinuxSandbox(Options.Create(new LinuxSandboxOptions { Network = NetworkIsolation.Auto }), NullLogger<LinuxSandbox>.Instance);
        using var perJob = new LinuxSandbox(Options.Create(new LinuxSandboxOptions { Network = NetworkIsolation.PerJobNamespace }), NullLogger<LinuxSandbox>.Instance);
        using var ws = TmpfsWorkspace.Create(Path.Combine("/run/sandrun/bench", Guid.NewGuid().ToString("n")), 1 << 20, pooled.JobHostUid, pooled.JobHostGid);
        var spec = new SandboxSpec(["/bin/true"], ws.Path, SandboxLimits.Default);
        var hasBwrap = File.Exists("/usr/bin/bwrap");

        var variants = new List<(string Name, Func<Task> Run)>
        {
            ("sandrun (7 ns: pooled per-job netns)", async () => Record(Check(await pooled.RunAsync(spec, NullOutputSink.Instance)))),
            ("sandrun (7 ns: netns created by the clone)", async () => _ = Check(await perJob.RunAsync(spec, NullOutputSink.Instance))),
            ("bare fork+exec (Process.Start)", () => Exec("/bin/true", [])),
        };
        if (hasBwrap)
        {
            variants.Add(("bwrap (6 ns + netns, ro /usr, proc, dev, tmpfs)", () => Exec("/usr/bin/bwrap", BwrapArgs)));
        }

        Console.WriteLine($"# /bin/true start→exit latency, {iterations} iterations per variant after {Math.Min(100, iterations)} warm-up, in alternating blocks of 50");
        Console.WriteLine($"# machine: {Environment.ProcessorCount} CPUs, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, {pooled.Describe()}");
        var samples = variants.Select(_ => new List<double>(iterations)).ToArray();
        for (var i = 0; i < Math.Min(100, iterations); i++)
        {
            foreach (var (_, run) in variants)
            {
                await run();
            }
        }

        const int Block = 50;
        for (var done = 0; done < iterations; done += Block)
        {
            for (var v = 0; v < variants.Count; v++)
            {
                for (var i = done; i < Math.Min(iterations, done + Block); i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await variants[v].Run();
                    samples[v].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }
            }
        }

        var p50 = samples.Select(s => Samples.Percentile(s, 0.50)).ToArray();
        var p99 = samples.Select(s => Samples.Percentile(s, 0.99)).ToArray();
        Console.WriteLine($"{"variant",-52} {"p50 µs",9} {"p90 µs",9} {"p99 µs",9}");
        for (var v = 0; v < variants.Count; v++)
        {
            Console.WriteLine($"{variants[v].Name,-52} {p50[v],9:F0} {Samples.Percentile(samples[v], 0.90),9:F0} {p99[v],9:F0}");
        }

        Console.WriteLine();
        Console.WriteLine($"sandrun (pooled netns) phases, p50 µs: request→init exec {Samples.Percentile(SpawnSamples, 0.50):F0}, payload exec→exit {Samples.Percentile(WallSamples, 0.50):F0}");
        for (var v = 0; v < 2; v++)
        {
            Console.WriteLine($"{variants[v].Name}: p50 = {p50[v] / p50[2]:F2} × bare exec (target ≤ 2.5)"
                + (hasBwrap ? $", {p50[v] / p50[3]:F2} × bwrap (target ≤ 0.5); p99 {p99[v] / p99[3]:F2} × bwrap" : ", bwrap not installed"));
        }

        return 0;
    }

    /// <summary>
    /// Spawn latency with many retained jobs: each level holds that many workspaces from the real
    /// <see cref="TmpfsWorkspaceProvider"/>, each with a file in it (a finished job waiting for its download).
    /// Levels are visited up and back down (e.g. 0, 1000, 5000, 1000, 0) and both visits of a level are pooled,
    /// so a drift over the run does not read as a cost of retained jobs. Ratios are against the level 0.
    /// </summary>
    private static async Task<int> RetainedAsync(int[] levels, int iterations)
    {
        var options = new LinuxSandboxOptions { Network = NetworkIsolation.Auto };
        using var sandbox = new LinuxSandbox(Options.Create(options), NullLogger<LinuxSandbox>.Instance);
        using var provider = new TmpfsWorkspaceProvider(sandbox, Options.Create(options));
        using var running = provider.Create("bench-running", 1 << 20);
        var spec = new SandboxSpec(["/bin/true"], running.Path, SandboxLimits.Default);
        var retained = new Stack<IWorkspace>();
        var visits = levels.Concat(levels.Reverse().Skip(1)).ToArray();
        var samples = levels.ToDictionary(l => l, _ => new List<double>());
        Console.WriteLine($"# /bin/true start→exit latency with retained workspaces, {iterations} spawns per visit after 50 warm-up; levels visited {string.Join(", ", visits)}");
        Console.WriteLine($"# machine: {Environment.ProcessorCount} CPUs, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, {sandbox.Describe()}");
        try
        {
            foreach (var level in visits)
            {
                var fill = Stopwatch.GetTimestamp();
                while (retained.Count < level)
                {
                    var ws = provider.Create(string.Create(CultureInfo.InvariantCulture, $"bench-retained-{retained.Count}"), 1 << 20);
                    retained.Push(ws);
                    await File.WriteAllTextAsync(Path.Combine(ws.Path, "out.txt"), "42\n");
                }

                while (retained.Count > level)
                {
                    retained.Pop().Dispose();
                }

                var filled = Stopwatch.GetElapsedTime(fill).TotalMilliseconds;
                for (var i = 0; i < 50; i++)
                {
                    Check(await sandbox.RunAsync(spec, NullOutputSink.Instance));
                }

                var visit = new List<double>(iterations);
                for (var i = 0; i < iterations; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    Check(await sandbox.RunAsync(spec, NullOutputSink.Instance));
                    visit.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }

                samples[level].AddRange(visit);
                Console.WriteLine($"visit {level,6} retained (reached in {filled,7:F0} ms, host mount table {File.ReadLines("/proc/self/mountinfo").Count(),6} lines): p50 {Samples.Percentile(visit, 0.5),6:F0} µs");
            }
        }
        finally
        {
            while (retained.Count > 0)
            {
                retained.Pop().Dispose();
            }
        }

        var baseline = Samples.Percentile(samples[levels[0]], 0.5);
        Console.WriteLine($"{"retained jobs",-14} {"p50 µs",9} {"p90 µs",9} {"p99 µs",9} {"p50 ratio",10}");
        foreach (var level in levels)
        {
            var p50 = Samples.Percentile(samples[level], 0.5);
            Console.WriteLine($"{level,-14} {p50,9:F0} {Samples.Percentile(samples[level], 0.9),9:F0} {Samples.Percentile(samples[level], 0.99),9:F0} {p50 / baseline,10:F2}");
        }

        Console.WriteLine($"p50 with {levels[^1]} retained = {Samples.Percentile(samples[levels[^1]], 0.5) / baseline:F2} × p50 with {levels[0]} (target ≤ 1.10)");
        return 0;
    }

    private static readonly List<double> SpawnSamples = [];
    private static readonly List<double> WallSamples = [];

    private static void Record(SandboxResult result)
    {
        SpawnSamples.Add(result.SpawnLatency.TotalMicroseconds);
        WallSamples.Add(result.WallTime.TotalMicroseconds);
    }

    private static SandboxResult Check(SandboxResult result) => result.Succeeded
        ? result
        : throw new InvalidOperationException($"sandboxed /bin/true failed: {result.FailureReason} {result.Detail}");

    private static async Task Exec(string program, string[] args)
    {
        // At the normal policy, as Sandrun runs its jobs, whatever policy this harness runs under (chrt -f).
        using var process = NormalPolicyChildren.Start(() => Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false })!);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited {process.ExitCode}");
        }
    }
}
