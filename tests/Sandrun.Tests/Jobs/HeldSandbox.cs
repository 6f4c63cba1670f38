using System.Threading.Channels;
using Sandrun.Abstractions;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// A stand-in sandbox whose runs stay open until the test ends them, so a test decides when and how each job's run
/// ends. Like the Linux sandbox, a cancelled run ends by throwing <see cref="OperationCanceledException"/>; with
/// <paramref name="honoursStartGate"/>, like it too, a run is set up at once and its program starts only once it holds a
/// slot of the spec's start gate (calling <see cref="SandboxSpec.OnStart"/> then), given back when the run ends.
/// </summary>
internal sealed class HeldSandbox(bool honoursStartGate = false) : ISandbox
{
    private readonly Channel<HeldRun> runs = Channel.CreateUnbounded<HeldRun>();
    private readonly Channel<string> prepared = Channel.CreateUnbounded<string>();
    private int started;
    private Exception? nextSetupFails;

    /// <summary>How many programs the engine started.</summary>
    public int Started => Volatile.Read(ref started);

    public bool HonoursStartGate => honoursStartGate;

    /// <summary>Makes the setup of the next run fail with this error, thrown before it waits for a slot.</summary>
    public Exception? NextSetupFails
    {
        get => Volatile.Read(ref nextSetupFails);
        set => Volatile.Write(ref nextSetupFails, value);
    }

    public Task<SandboxResult> RunAsync(SandboxSpec spec, ISandboxOutputSink output, CancellationToken cancellationToken = default)
    {
        prepared.Writer.TryWrite(Path.GetFileName(spec.WorkspaceDirectory));
        if (Interlocked.Exchange(ref nextSetupFails, null) is { } error)
        {
            return Task.FromException<SandboxResult>(error);
        }

        return honoursStartGate && spec.StartGate is { } gate ? RunGatedAsync(spec, gate, cancellationToken) : Start(spec, cancellationToken);
    }

    /// <summary>The next run the engine started, in start order.</summary>
    public async Task<HeldRun> NextAsync() => await runs.Reader.ReadAsync().AsTask().WaitAsync(EngineHarness.Patience);

    /// <summary>The job of the next run the engine asked for (set up, its program started or not), in that order.</summary>
    public async Task<string> NextPreparedAsync() => await prepared.Reader.ReadAsync().AsTask().WaitAsync(EngineHarness.Patience);

    public void EnsureReady()
    {
    }

    public bool CanRun(string program) => true;

    private async Task<SandboxResult> RunGatedAsync(SandboxSpec spec, SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            // A slot given back as the run is cancelled may still reach it: a cancelled run never starts its program.
            cancellationToken.ThrowIfCancellationRequested();
            spec.OnStart?.Invoke();
            return await Start(spec, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private Task<SandboxResult> Start(SandboxSpec spec, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref started);
        var run = new HeldRun(spec, cancellationToken);
        runs.Writer.TryWrite(run);
        return run.Result;
    }
}

/// <summary>One run held open by <see cref="HeldSandbox"/>.</summary>
internal sealed class HeldRun
{
    private readonly TaskCompletionSource<SandboxResult> result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldRun(SandboxSpec spec, CancellationToken cancellationToken)
    {
        Spec = spec;
        cancellationToken.Register(() => result.TrySetCanceled(cancellationToken));
    }

    public SandboxSpec Spec { get; }

    /// <summary>The job the run belongs to (its workspace directory is named for it).</summary>
    public string JobId => Path.GetFileName(Spec.WorkspaceDirectory);

    /// <summary>Whether the engine cancelled the run.</summary>
    public bool Cancelled => result.Task.IsCanceled;

    internal Task<SandboxResult> Result => result.Task;

    /// <summary>Ends the run as a program exiting with <paramref name="code"/>.</summary>
    public void Exit(int code) => result.TrySetResult(new SandboxResult(
        code == 0 ? FailureReason.None : FailureReason.ExitCode, code, null, TimeSpan.FromMilliseconds(3), 1 << 20, TimeSpan.FromMilliseconds(5)));

    /// <summary>Ends the run with the sandbox throwing <paramref name="error"/>.</summary>
    public void Throw(Exception error) => result.TrySetException(error);
}
