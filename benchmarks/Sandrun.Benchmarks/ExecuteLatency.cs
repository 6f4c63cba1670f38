using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Sandrun.Benchmarks;

/// <summary>
/// <c>POST /execute</c> of <c>print(6*7)</c> (one call: JSON in, the result out) against running <c>python3 -c</c>
/// directly, sequentially and interleaved in one run: p50/p90/p99 latency of each and the overhead (difference), and the
/// server's own timings per phase of those calls. Receipts are signed, as by a server with a worker key. The baseline is
/// the floor (<see cref="DirectLaunch"/>: posix_spawn, at the normal policy as the jobs run, whatever policy the harness
/// runs under), so <c>chrt -f</c> on the harness shields the measurement from other load without favouring either side.
/// </summary>
internal static class ExecuteLatency
{
    private const string Code = "print(6*7)";
    private static readonly byte[] Request = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["language"] = "python", ["code"] = Code });

    /// <summary>The jobs' own <c>wall_time_ms</c> (exec to exit in the sandbox), to tell the program's time from the service's.</summary>
    private static readonly List<double> JobWall = [];

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = CommandLine.Option(args, "--calls", 300);
        using var signer = Receipts.Ed25519Signer.Generate();
        using var phases = new PhaseTimes();
        bool? overlap = args.Contains("--overlap-setup") ? CommandLine.Option(args, "--overlap-setup", 1) == 1 : null;
        var (app, address) = await BenchServer.StartAsync("/run/sandrun-bench-execute", mcp: false, signer: signer, overlapSetup: overlap);
        await using var disposeApp = app;
        using var http = new HttpClient { BaseAddress = address };
        for (var i = 0; i < 20; i++)
        {
            await ExecuteAsync(http);
            RunPython();
        }

        // The server records a request's duration as it ends, which may be after its client has the answer: let the
        // warm-up's last one land before recording, and the measured calls' last one before reading.
        await Task.Delay(100);
        JobWall.Clear();
        phases.Recording = true;
        var (gen0, allocated) = (GC.CollectionCount(0), GC.GetTotalAllocatedBytes());
        var viaExecute = new List<double>(calls);
        var direct = new List<double>(calls);
        for (var i = 0; i < calls; i++)
        {
            // Alternate who goes first, so neither always follows the other's process exit.
            if (i % 2 == 0)
            {
                viaExecute.Add(await Samples.TimeAsync(() => ExecuteAsync(http)));
                direct.Add(Time(RunPython));
            }
            else
            {
                direct.Add(Time(RunPython));
                viaExecute.Add(await Samples.TimeAsync(() => ExecuteAsync(http)));
            }
        }

        await Task.Delay(100);
        phases.Recording = false;
        (gen0, allocated) = (GC.CollectionCount(0) - gen0, GC.GetTotalAllocatedBytes() - allocated);
        Console.WriteLine($"# {calls} sequential POST /execute of '{Code}' vs python3 -c, interleaved, {Environment.ProcessorCount} CPUs");
        Console.WriteLine("latency, ms                 p50      p90      p99");
        Console.WriteLine($"  POST /execute        {Samples.Percentiles(viaExecute)}");
        Console.WriteLine($"  python3 -c directly  {Samples.Percentiles(direct)}   (posix_spawn, SCHED_OTHER)");
        Console.WriteLine($"  job's wall_time_ms   {Samples.Percentiles(JobWall)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overhead (difference): p50 {Samples.Percentile(viaExecute, 0.5) - Samples.Percentile(direct, 0.5):F2} ms, p99 {Samples.Percentile(viaExecute, 0.99) - Samples.Percentile(direct, 0.99):F2} ms; p50 ratio {Samples.Percentile(viaExecute, 0.5) / Samples.Percentile(direct, 0.5):F2}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"managed allocations (server and harness): {allocated / 1024.0 / calls:F0} KiB per /execute and python3 pair, {gen0} gen0 collections"));
        // Calls are sequential: the n-th sample of each series belongs to the n-th call, so differences pair up exactly.
        var server = phases.Values("HTTP POST /execute");
        var spawn = phases.Values("engine spawn");
        var run = phases.Values("engine run");
        if (server.Count == calls && spawn.Count == calls && run.Count == calls)
        {
            Console.WriteLine("per call, paired (ms)                  p50      p90      p99");
            Console.WriteLine($"  client − server's request time  {Samples.Percentiles([.. viaExecute.Select((c, n) => c - server[n])])}   (HttpClient, loopback, Kestrel outside the request)");
            Console.WriteLine($"  request − spawn − run           {Samples.Percentiles([.. server.Select((r, n) => r - spawn[n] - run[n])])}   (the service's own time but the sandbox's start)");
        }

        Console.WriteLine("server-side timings of the measured calls (ms; engine phases per job, requests by route):");
        foreach (var line in phases.Report())
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static void RunPython()
    {
        if (DirectLaunch.Run("/usr/bin/python3", "python3", "-c", Code) != "42\n")
        {
            throw new InvalidOperationException("python3 -c printed something else");
        }
    }

    private static double Time(Action action)
    {
        var t = System.Diagnostics.Stopwatch.GetTimestamp();
        action();
        return System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    private static async Task ExecuteAsync(HttpClient http)
    {
        // With its Content-Length, as curl and Piston's client send it (PostAsJsonAsync would send it chunked).
        using var content = new ByteArrayContent(Request) { Headers = { ContentType = new("application/json") } };
        using var response = await http.PostAsync("/execute", content);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode || body.GetProperty("stdout").GetString() != "42\n")
        {
            throw new InvalidOperationException("unexpected result: " + body);
        }

        JobWall.Add(body.GetProperty("wall_time_ms").GetInt64());
    }
}
