using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sandrun.Receipts;

namespace Sandrun.Pool.Tests;

/// <summary>
/// A real worker: the sample server started as a child process on 127.0.0.1 with its own key, port, state directory
/// and host uid range, trusting 127.0.0.1 (the pool) for client addresses. Killed with SIGKILL, restartable on the same port.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private static int instances;
    private readonly string directory;
    private readonly string[] extra;
    private readonly int instance;
    private readonly StringBuilder output = new();
    private Process? process;

    private WorkerProcess(string directory, string? keyFile, string workerId, int port, string[] extra)
    {
        this.directory = directory;
        this.extra = extra;
        KeyFile = keyFile;
        WorkerId = workerId;
        Port = port;
        // Numbered per test run, so state directories are reused (a new server sweeps what a killed one left there).
        instance = Interlocked.Increment(ref instances);
    }

    /// <summary>The key the process signs with (null: anonymous).</summary>
    public string? KeyFile { get; }

    /// <summary>The Worker ID of <see cref="KeyFile"/>, or of a key the process does not hold (anonymous workers listed anyway).</summary>
    public string WorkerId { get; }

    public int Port { get; }

    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}");

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts a worker with a fresh key (or none: <paramref name="anonymous"/>) and extra <c>--Key value</c> options.</summary>
    public static async Task<WorkerProcess> StartAsync(bool anonymous = false, params string[] extra)
    {
        var directory = Directory.CreateTempSubdirectory("sandrun-pool-worker-").FullName;
        using var signer = Ed25519Signer.Generate();
        string? keyFile = null;
        if (!anonymous)
        {
            keyFile = Path.Combine(directory, "worker_key.pem");
            signer.Save(keyFile);
        }

        var worker = new WorkerProcess(directory, keyFile, signer.WorkerId!, FreePort(), extra);
        await worker.StartProcessAsync();
        return worker;
    }

    /// <summary>Starts the process again (same key, port and state directory) after <see cref="Kill"/>.</summary>
    public Task RestartAsync() => StartProcessAsync();

    /// <summary>SIGKILL, as a crash or the OOM killer would.</summary>
    public void Kill()
    {
        process?.Kill();
        process?.WaitForExit();
    }

    /// <summary>
    /// Stops the worker as an operator would (SIGTERM: it ends its jobs and unmounts their workspaces). A worker a test
    /// SIGKILLed is started once more first, so the new start sweeps what the killed one left (mounts, cgroups).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: true })
        {
            await StartProcessAsync();
        }

        if (process is { HasExited: false })
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
        }

        process?.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private async Task StartProcessAsync()
    {
        process?.Dispose();
        var server = Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        var hostIdBase = (2_100_000_000L + (instance * 20_000L)).ToString(CultureInfo.InvariantCulture);
        List<string> args =
        [
            "exec", server, "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--Sandrun:Sandbox:StateDirectory", $"/run/sandrun-pool-tests-{instance}",
            "--Sandrun:Sandbox:HostIdBase", hostIdBase,
            "--Sandrun:RateLimits:TrustedProxies:0", "127.0.0.1",
            "--Sandrun:Workers", "2",
            "--Logging:LogLevel:Default", "Warning",
            .. extra,
        ];
        if (KeyFile is not null)
        {
            args.AddRange(["--worker-key", KeyFile]);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process = new Process { StartInfo = new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true } };
        process.OutputDataReceived += (_, e) => Record(e.Data, ready);
        process.ErrorDataReceived += (_, e) => Record(e.Data, ready);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == ready.Task, $"worker did not start:\n{Output}");
    }

    private void Record(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        if (line.StartsWith("worker mode:", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
