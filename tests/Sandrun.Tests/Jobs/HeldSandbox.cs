using System.Threading.Channels;
using Sandrun.Abstractions;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// A stand-in sandbox whose runs stay open until the test ends them, so a test decides when and how each job's run
/// ends. Like the Linux sandbox, a cancelled run ends by throwing <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class HeldSandbox : ISandbox
{
    private readonly Channel<HeldRun> runs = Channel.CreateUnbounded<HeldRun>();
    private int started;

    /// <summary>How many runs the engine started.</summary>
    public int Started => Volatile.Read(ref started);

    public Task<SandboxResult> RunAsync(SandboxSpec spec, ISandboxOutputSink output, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref started);
        var run = new HeldRun(spec, cancellationToken);
        runs.Writer.TryWrite(run);
        return run.Result;
    }

    /// <summary>The next run the engine started, in start order.</summary>
    public async Task<HeldRun> NextAsync() => await runs.Reader.ReadAsync().AsTask().WaitAsync(EngineHarness.Patience);

    public void EnsureReady()
    {
    }

    public bool CanRun(string program) => true;
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
