using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Sandrun.Benchmarks;

/// <summary>
/// Memory of the sample server (its own process, as operators run it): fresh, idle after serving a few jobs, after two
/// that print ~10 MiB, with N retained jobs (a mix of trivial ones and some that print ~10 MiB), and after every job
/// was deleted (complete <c>/download</c>). Reports RSS (and its anonymous part), the bytes held in job log files
/// (anonymous RAM files, outside RSS), memory per retained job, and each figure as a ratio of the idle RSS measured in
/// the same run; idle RSS is also split into anonymous, file-backed and shared memory. <c>--aot</c> publishes the server
/// with NativeAOT first (or takes <c>--server PATH</c>, a published binary) and smoke-tests the binary (<see cref="AotServer"/>).
/// </summary>
internal static class MemoryFootprint
{
    private const string Trivial = "print(6 * 7)";

    // Just under the default 10 MiB per-stream cap, so the job completes with all of it kept.
    private const string Flooding = "import sys\nsys.stdout.buffer.write(b'x' * ((10 << 20) - 4096))\nprint('err', file=sys.stderr)\n";

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = CommandLine.Option(args, "--jobs", 1500);
        var floodEvery = CommandLine.Option(args, "--flood-every", 10);
        var idleSeconds = CommandLine.Option(args, "--idle-seconds", 10);
        var environment = args.Select((a, i) => (a, i)).Where(p => p.a == "--env" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToList();
        var server = args.SkipWhile(a => a != "--server").Skip(1).FirstOrDefault();
        if (args.Contains("--aot"))
        {
            server ??= await AotServer.PublishAsync(Path.Combine(Path.GetTempPath(), "sandrun-bench-aot"));
            await AotServer.SmokeAsync(server, environment);
        }

        server ??= Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        await using var process = await SampleServerProcess.StartAsync(server, environment);
        var pid = process.Process.Id;
        using var client = new HttpClient { BaseAddress = process.Address, Timeout = TimeSpan.FromMinutes(5) };
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        var fresh = Sample(pid);

        // Idle is measured after serving jobs, not in a never-used process: a few trivial jobs, each used the way clients
        // do (submit, status, logs, download, which deletes it), then the same after two that print ~10 MiB each.
        for (var i = 0; i < 4; i++)
        {
            await DeleteAsync(client, (await RunJobAsync(client, Trivial, fetchLogs: true)).Id);
        }

        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        var idle = Sample(pid);
        for (var i = 0; i < 2; i++)
        {
            await DeleteAsync(client, (await RunJobAsync(client, Flooding, fetchLogs: true)).Id);
        }

        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        var flooded = Sample(pid);
        var ids = new string[jobs];
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (i, _) =>
        {
            var flood = floodEvery > 0 && i % floodEvery == 0;
            ids[i] = (await RunJobAsync(client, flood ? Flooding : Trivial, fetchLogs: true)).Id;
        });
        var elapsed = Stopwatch.GetElapsedTime(started);
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        var retained = Sample(pid);

        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, async (id, _) => await DeleteAsync(client, id));
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        var deleted = Sample(pid);

        var floods = floodEvery > 0 ? ((jobs - 1) / floodEvery) + 1 : 0;
        Console.WriteLine($"# sample server {Path.GetFileName(server)}{(environment.Count > 0 ? " with " + string.Join(' ', environment) : "")}: "
            + $"start to ready {process.StartTime.TotalMilliseconds:F0} ms");
        Console.WriteLine($"# {jobs} jobs ({floods} print ~10 MiB, the rest '{Trivial}'), {Environment.ProcessorCount * 2} clients, "
            + $"{jobs / elapsed.TotalSeconds:F1} jobs/s; measured {idleSeconds} s after each phase");
        Console.WriteLine("phase                   RSS MiB  anon MiB  log files MiB  RSS / idle");
        Print("fresh (no job yet)", fresh, idle);
        Print("idle (after 4 jobs)", idle, idle);
        Print("after 2 x 10 MiB jobs", flooded, idle);
        Print($"{jobs} jobs retained", retained, idle);
        Print("all deleted", deleted, idle);
        Console.WriteLine($"idle RSS {idle.Rss / 1048576.0:F1} MiB: {idle.Anonymous / 1048576.0:F1} anonymous, {idle.File / 1048576.0:F1} file-backed (code of "
            + $"the runtime and assemblies), {idle.Shared / 1048576.0:F1} shared memory (the runtime's executable memory); {idle.Threads} threads");
        Console.WriteLine($"per retained job (above 'after 2 x 10 MiB jobs'): {(retained.Rss - flooded.Rss) / (double)jobs / 1024:F1} KiB of RSS, "
            + $"{(retained.Rss + retained.LogFiles - flooded.Rss - flooded.LogFiles) / (double)jobs / 1024:F1} KiB with its log files");
        Console.WriteLine($"after deletion: {(deleted.Rss - flooded.Rss) / 1048576.0:F1} MiB above 'after 2 x 10 MiB jobs', {deleted.LogFiles / 1048576.0:F1} MiB of log files left");
        return 0;
    }

    private static void Print(string phase, Footprint f, Footprint idle) =>
        Console.WriteLine($"{phase,-23} {f.Rss / 1048576.0,7:F1}  {f.Anonymous / 1048576.0,8:F1}  {f.LogFiles / 1048576.0,13:F1}  {f.Rss / (double)idle.Rss,10:F2}");

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
        long rss = 0, anonymous = 0, file = 0, shared = 0, threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            var field = line[..(line.IndexOf(':', StringComparison.Ordinal) + 1)];
            switch (field)
            {
                case "VmRSS:":
                    rss = Kibibytes(line);
                    break;
                case "RssAnon:":
                    anonymous = Kibibytes(line);
                    break;
                case "RssFile:":
                    file = Kibibytes(line);
                    break;
                case "RssShmem:":
                    shared = Kibibytes(line);
                    break;
                case "Threads:":
                    threads = long.Parse(line[field.Length..].Trim(), CultureInfo.InvariantCulture);
                    break;
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

        return new Footprint(rss, anonymous, file, shared, threads, logFiles);

        static long Kibibytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private readonly record struct Footprint(long Rss, long Anonymous, long File, long Shared, long Threads, long LogFiles);
}
