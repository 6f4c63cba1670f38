using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sandrun.Benchmarks;

/// <summary>
/// Memory of the sample server (its own process, as operators run it): idle, with N retained jobs (a mix of trivial
/// ones and some that print ~10 MiB), and after every job was deleted (complete <c>/download</c>). Reports RSS (and
/// its anonymous part), the bytes held in job log files (anonymous RAM files, outside RSS), memory per retained job,
/// and each figure as a ratio of the idle RSS measured in the same run.
/// </summary>
internal static class MemoryFootprint
{
    private const string Trivial = "print(6 * 7)";

    // Just under the default 10 MiB per-stream cap, so the job completes with all of it kept.
    private const string Flooding = "import sys\nsys.stdout.buffer.write(b'x' * ((10 << 20) - 4096))\nprint('err', file=sys.stderr)\n";

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = Option(args, "--jobs", 1500);
        var floodEvery = Option(args, "--flood-every", 10);
        var idleSeconds = Option(args, "--idle-seconds", 10);
        var server = args.SkipWhile(a => a != "--server").Skip(1).FirstOrDefault() ?? Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        var environment = args.Select((a, i) => (a, i)).Where(p => p.a == "--env" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToList();

        var (process, address) = await StartServerAsync(server, environment);
        try
        {
            using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var fresh = Sample(process.Id);

            // A few jobs of each kind, deleted, so that the baseline has the job path's code loaded and compiled.
            for (var i = 0; i < 4; i++)
            {
                await DeleteAsync(client, (await RunJobAsync(client, i % 2 == 0 ? Trivial : Flooding, fetchLogs: true)).Id);
            }

            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var idle = Sample(process.Id);
            var ids = new string[jobs];
            var started = Stopwatch.GetTimestamp();
            await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (i, _) =>
            {
                var flood = floodEvery > 0 && i % floodEvery == 0;
                ids[i] = (await RunJobAsync(client, flood ? Flooding : Trivial, fetchLogs: true)).Id;
            });
            var elapsed = Stopwatch.GetElapsedTime(started);
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var retained = Sample(process.Id);

            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (id, _) => await DeleteAsync(client, id));
            await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
            var deleted = Sample(process.Id);

            var floods = floodEvery > 0 ? ((jobs - 1) / floodEvery) + 1 : 0;
            Console.WriteLine($"# sample server {Path.GetFileName(server)}{(environment.Count > 0 ? " with " + string.Join(' ', environment) : "")}");
            Console.WriteLine($"# {jobs} jobs ({floods} print ~10 MiB, the rest '{Trivial}'), {Environment.ProcessorCount * 2} clients, "
                + $"{jobs / elapsed.TotalSeconds:F1} jobs/s; measured {idleSeconds} s after each phase");
            Console.WriteLine("phase                  RSS MiB  anon MiB  log files MiB  RSS / idle");
            Print("idle, fresh", fresh, idle);
            Print("idle, after 4 jobs", idle, idle);
            Print($"{jobs} jobs retained", retained, idle);
            Print("all deleted", deleted, idle);
            Console.WriteLine($"per retained job (above idle after 4 jobs): {(retained.Rss - idle.Rss) / (double)jobs / 1024:F1} KiB of RSS, "
                + $"{(retained.Rss + retained.LogFiles - idle.Rss - idle.LogFiles) / (double)jobs / 1024:F1} KiB with its log files");
            Console.WriteLine($"after deletion: {(deleted.Rss - idle.Rss) / 1048576.0:F1} MiB above idle RSS, {deleted.LogFiles / 1048576.0:F1} MiB of log files left");
            return 0;
        }
        finally
        {
            // SIGTERM: the server removes its workspaces and per-instance directories as it stops.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static void Print(string phase, Footprint f, Footprint idle) =>
        Console.WriteLine($"{phase,-22} {f.Rss / 1048576.0,7:F1}  {f.Anonymous / 1048576.0,8:F1}  {f.LogFiles / 1048576.0,13:F1}  {f.Rss / (double)idle.Rss,10:F2}");

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static async Task<(string Id, JsonElement Status)> RunJobAsync(HttpClient client, string code, bool fetchLogs)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(code)), "files", "main.py" } };
        using var submit = await client.PostAsync("/submit", form);
        submit.EnsureSuccessStatusCode();
        var id = (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
        while (true)
        {
            var status = await client.GetFromJsonAsync<JsonElement>($"/status/{id}");
            var state = status.GetProperty("status").GetString();
            if (state is "completed" or "failed")
            {
                if (state == "failed")
                {
                    throw new InvalidOperationException($"job {id} failed: {status}");
                }

                if (fetchLogs)
                {
                    using var logs = await client.GetAsync($"/logs/{id}", HttpCompletionOption.ResponseHeadersRead);
                    await logs.Content.CopyToAsync(Stream.Null);
                }

                return (id, status);
            }

            await Task.Delay(10);
        }
    }

    /// <summary>A complete download deletes the job (SPEC.md §5).</summary>
    private static async Task DeleteAsync(HttpClient client, string id)
    {
        using var download = await client.GetAsync($"/download/{id}");
        download.EnsureSuccessStatusCode();
        await download.Content.CopyToAsync(Stream.Null);
        using var gone = await client.GetAsync($"/status/{id}");
        if (gone.StatusCode != HttpStatusCode.NotFound)
        {
            throw new InvalidOperationException($"job {id} still there after its download");
        }
    }

    private static Footprint Sample(int pid)
    {
        long rss = 0, anonymous = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kibibytes(line);
            }
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
            {
                anonymous = Kibibytes(line);
            }
        }

        // Job logs live in memfds: RAM the process holds that RSS does not show while they are not mapped.
        long logFiles = 0;
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget?.StartsWith("/memfd:sandrun-log", StringComparison.Ordinal) == true)
                {
                    // Opening the fd's /proc link opens the memfd itself (we are root), whose length the link does not show.
                    using var handle = File.OpenHandle(fd);
                    logFiles += RandomAccess.GetLength(handle);
                }
            }
            catch (IOException)
            {
                // Closed while listing.
            }
        }

        return new Footprint(rss, anonymous, logFiles);

        static long Kibibytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task<(Process Process, Uri Address)> StartServerAsync(string server, List<string> environment)
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        string[] arguments =
        [
            "--port", port.ToString(CultureInfo.InvariantCulture),
            // Per harness process: two runs (e.g. two GC settings) may share the machine.
            "--Sandrun:Sandbox:StateDirectory", $"/run/sandrun-bench-memory-{Environment.ProcessId}",
            "--Sandrun:Sandbox:HostIdBase", (2_170_000_000L + (Environment.ProcessId % 1000 * 100_000L)).ToString(CultureInfo.InvariantCulture),
            "--Sandrun:RateLimits:Enabled", "false", "--Sandrun:Workers", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default", "Warning",
        ];
        var start = server.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet", ["exec", server, .. arguments]) : new ProcessStartInfo(server, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var variable in environment)
        {
            var equals = variable.IndexOf('=', StringComparison.Ordinal);
            start.Environment[variable[..equals]] = variable[(equals + 1)..];
        }

        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("worker mode:", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"server: {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) == ready.Task)
        {
            return (process, new Uri($"http://127.0.0.1:{port}"));
        }

        process.Kill();
        throw new InvalidOperationException($"the server {server} did not start");
    }

    private readonly record struct Footprint(long Rss, long Anonymous, long LogFiles);
}
