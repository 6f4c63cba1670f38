using System.Diagnostics;
using Sandrun.Abstractions;
using Sandrun.Linux.Workspace;

namespace Sandrun.Linux.Tests;

/// <summary>
/// A job that grabs something, prints <see cref="Marker"/> and holds it until the test creates /workspace/release:
/// lets a test probe the host (or run another job) while the job holds the resource.
/// </summary>
internal sealed class HoldingJob : IAsyncDisposable
{
    public const string Marker = "HOLDING";

    /// <summary>Python that waits for the release file; append to a program that printed <see cref="Marker"/>.</summary>
    public const string WaitForRelease = "\nwhile not os.path.exists('/workspace/release'):\n    time.sleep(0.02)\n";

    private readonly TmpfsWorkspace workspace;
    private readonly MarkerSink sink = new();
    private readonly Task<SandboxResult> run;

    private HoldingJob(SandboxFixture f, string python)
    {
        workspace = f.NewWorkspace();
        File.WriteAllText(Path.Combine(workspace.Path, "main.py"), python);
        run = f.Sandbox.RunAsync(new SandboxSpec(["python3", "main.py"], workspace.Path, SandboxFixture.Limits), sink);
    }

    /// <summary>What the job printed before the marker.</summary>
    public string Report => sink.Stdout;

    /// <summary>Starts the job and waits until it holds (or fails with what it printed).</summary>
    public static async Task<HoldingJob> StartAsync(SandboxFixture f, string python)
    {
        var job = new HoldingJob(f, python);
        var first = await Task.WhenAny(job.sink.Held, job.run).WaitAsync(TimeSpan.FromSeconds(60));
        if (first == job.run)
        {
            throw new InvalidOperationException($"the holding job ended early: {job.run.Result.FailureReason} {job.run.Result.ExitCode}\n{job.sink.Stdout}\n{job.sink.Stderr}");
        }

        return job;
    }

    /// <summary>Lets the job end and returns its result.</summary>
    public async Task<SandboxResult> ReleaseAsync()
    {
        await File.WriteAllTextAsync(Path.Combine(workspace.Path, "release"), string.Empty);
        return await run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (!run.IsCompleted)
        {
            await ReleaseAsync();
        }

        workspace.Dispose();
    }

    /// <summary>Runs a host-side probe (python3 as root, outside any sandbox) and returns its stdout.</summary>
    public static async Task<string> HostProbeAsync(string python)
    {
        var psi = new ProcessStartInfo("python3", ["-c", python]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }

    private sealed class MarkerSink : ISandboxOutputSink
    {
        private readonly CollectingSink inner = new();
        private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Held => held.Task;

        public string Stdout => inner.Stdout;

        public string Stderr => inner.Stderr;

        public void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk)
        {
            inner.OnOutput(stream, chunk);
            if (stream == SandboxStream.Stdout && inner.Stdout.Contains(Marker, StringComparison.Ordinal))
            {
                held.TrySetResult();
            }
        }
    }
}
