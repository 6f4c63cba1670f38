using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sandrun.Benchmarks;

/// <summary>
/// The sample server as its own process, as operators run it (<c>dotnet exec Sandrun.Server.dll</c> or a native
/// binary), on a free loopback port with its own state directory and uid range; stopped with SIGTERM so it removes
/// its workspaces.
/// </summary>
internal sealed class SampleServerProcess : IAsyncDisposable
{
    private SampleServerProcess(Process process, Uri address, TimeSpan startTime)
    {
        Process = process;
        Address = address;
        StartTime = startTime;
    }

    public Process Process { get; }

    public Uri Address { get; }

    /// <summary>From starting the process to its "worker mode" line, printed once it listens and its sandbox is ready.</summary>
    public TimeSpan StartTime { get; }

    public static async Task<SampleServerProcess> StartAsync(string server, IReadOnlyList<string> environment, params string[] extraArguments)
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
            .. extraArguments,
        ];
        var start = server.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet", ["exec", server, .. arguments]) : new ProcessStartInfo(server, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var variable in environment)
        {
            var equals = variable.IndexOf('=', StringComparison.Ordinal);
            start.Environment[variable[..equals]] = variable[(equals + 1)..];
        }

        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("worker mode:", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(Stopwatch.GetElapsedTime(started));
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
            return new SampleServerProcess(process, new Uri($"http://127.0.0.1:{port}"), await ready.Task);
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        throw new InvalidOperationException($"the server {server} did not start" + (process.HasExited ? $" (exit code {process.ExitCode})" : ""));
    }

    public async ValueTask DisposeAsync()
    {
        // SIGTERM: the server removes its workspaces and per-instance directories as it stops.
        using (var term = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        if (!Process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }
}
