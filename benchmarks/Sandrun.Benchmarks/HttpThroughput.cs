using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Sandrun.Benchmarks;

/// <summary>
/// Throughput of trivial <c>python3</c> jobs end to end through HTTP against the fork/exec floor, in one run: the same
/// <c>python3 -c</c> run by <c>xargs -P WORKERS</c> (a minimal launcher) against CLIENTS external clients (another
/// process, <see cref="HttpLoadClient"/>) that submit and wait on each job's WebSocket for <c>[DONE]</c>, with WORKERS
/// workers, rate limits off, signed receipts and otherwise the default configuration (<c>--overlap-setup 0|1</c> sets
/// <c>Sandrun:OverlapSetup</c>, on by default); rounds alternate which goes first. Also /status latency under that
/// load (a side poller in the client process) and the idle server's RSS.
/// </summary>
internal static class HttpThroughput
{
    internal const string Code = "print(6 * 7)";

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = CommandLine.Option(args, "--jobs", 300);
        var rounds = CommandLine.Option(args, "--rounds", 2);
        var clients = CommandLine.Option(args, "--clients", 8);
        var workers = CommandLine.Option(args, "--workers", 2);
        using var signer = Receipts.Ed25519Signer.Generate();
        using var phases = new PhaseTimes();
        // The server's default configuration unless asked otherwise.
        var overlap = CommandLine.Option(args, "--overlap-setup", new SandrunOptions().OverlapSetup ? 1 : 0) == 1;
        var (app, address) = await BenchServer.StartAsync("/run/sandrun-bench-http", mcp: false, workers, signer, overlap);
        await using var disposeApp = app;

        await Task.Delay(1000);
        var idleRss = Process.GetCurrentProcess().WorkingSet64;
        await RunFloorAsync(20, workers);

        // A long-running server has finished tiering up its code; a fresh one spends a third of the CPU on the JIT.
        await RunClientAsync(address, CommandLine.Option(args, "--warmup", 300), clients);

        var floorTime = TimeSpan.Zero;
        var httpTime = TimeSpan.Zero;
        var clientCpu = 0.0;
        var status = new List<(double P50, double P99, double Max, int Count)>();
        for (var round = 0; round < rounds; round++)
        {
            if (round % 2 == 1)
            {
                floorTime += await RunFloorAsync(jobs, workers);
            }

            phases.Recording = true;
            var load = await RunClientAsync(address, jobs, clients);
            phases.Recording = false;
            httpTime += TimeSpan.FromSeconds(load.GetProperty("seconds").GetDouble());
            clientCpu += load.GetProperty("client_cpu_seconds").GetDouble();
            status.Add((load.GetProperty("status_p50_ms").GetDouble(), load.GetProperty("status_p99_ms").GetDouble(), load.GetProperty("status_max_ms").GetDouble(),
                (int)load.GetProperty("status_count").GetDouble()));
            if (round % 2 == 0)
            {
                floorTime += await RunFloorAsync(jobs, workers);
            }
        }

        var total = jobs * rounds;
        var httpRate = total / httpTime.TotalSeconds;
        var floorRate = total / floorTime.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {rounds} × {jobs} trivial python3 jobs ('{Code}'), {clients} external clients, Workers={workers}, OverlapSetup={overlap}, {Environment.ProcessorCount} CPUs"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"through HTTP (submit, WebSocket to [DONE]):   {httpRate,7:F1} jobs/s  (client process CPU {1000 * clientCpu / total:F2} ms/job)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fork/exec floor (xargs -P{workers} python3 -c):     {floorRate,7:F1} runs/s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio: {httpRate / floorRate:F2} (target ≥ 0.8)"));
        foreach (var (p50, p99, max, count) in status)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"/status under load (side poller, every 20 ms): p50 {p50:F2} ms, p99 {p99:F2} ms (target < 10 ms), max {max:F2} ms, {count} requests"));
        }

        Console.WriteLine("server-side timings during the measured rounds (ms; engine phases per job, requests by route, the client's warm-up included):");
        foreach (var line in phases.Report())
        {
            Console.WriteLine(line);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle server RSS: {idleRss / (1024.0 * 1024.0):F1} MiB"));
        return 0;
    }

    /// <summary>The floor: <c>python3 -c Code</c> <paramref name="runs"/> times, <paramref name="parallel"/> at a time, by xargs.</summary>
    private static async Task<TimeSpan> RunFloorAsync(int runs, int parallel)
    {
        var started = Stopwatch.GetTimestamp();
        // At the normal policy, as Sandrun runs its jobs, whatever policy this harness runs under (chrt -f).
        using var process = NormalPolicyChildren.Start(() => Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"seq {runs} | xargs -P {parallel} -I{{}} /usr/bin/python3 -c '{Code}'"])
        {
            RedirectStandardOutput = true,
        })!);
        // Two writers share the pipe, so lines may interleave ("4242\n\n"): compare without the newlines.
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (process.ExitCode != 0 || output.Replace("\n", string.Empty, StringComparison.Ordinal) != string.Concat(Enumerable.Repeat("42", runs)))
        {
            throw new InvalidOperationException($"the floor run failed (exit {process.ExitCode})");
        }

        return elapsed;
    }

    /// <summary>Runs the load client as a process of its own (this program, mode <c>http-client</c>) and returns its report.</summary>
    private static async Task<JsonElement> RunClientAsync(Uri address, int jobs, int clients)
    {
        var self = Environment.ProcessPath!;
        // No tiering in the client: it compiles once, before its clock starts, instead of re-compiling during the run.
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, Environment = { ["DOTNET_TieredCompilation"] = "0" } };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HttpThroughput).Assembly.Location);
        }

        foreach (var arg in new[] { "http-client", address.ToString(), jobs.ToString(CultureInfo.InvariantCulture), clients.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone()
            : throw new InvalidOperationException($"the load client failed (exit {process.ExitCode})");
    }

    /// <summary>The baseline: <c>python3 -c Code</c> started directly, output read, exit awaited.</summary>
    internal static async Task RunPythonAsync(CancellationToken cancellationToken = default)
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", Code]) { RedirectStandardOutput = true })!;
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
    }

    internal static async Task<TimeSpan> RunDirect(int jobs, int concurrency)
    {
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, ct) => await RunPythonAsync(ct));
        return Stopwatch.GetElapsedTime(started);
    }
}
