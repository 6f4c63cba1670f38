using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>
/// SandboxSpec.StartGate: a run sets its sandbox up without a slot, but its program starts only once it holds one, and
/// gives the slot back once the program is gone; OnStart tells the caller when it took its slot. A run cancelled while it
/// waits ends without running anything.
/// </summary>
[Collection("sandbox")]
public sealed class StartGateTests(SandboxFixture f)
{
    private static readonly string[] Marker = ["/bin/sh", "-c", "echo started > /workspace/started; echo ran"];

    [Fact]
    public async Task The_program_starts_only_when_a_slot_is_free_and_gives_it_back_when_it_is_gone()
    {
        Assert.True(f.Sandbox.HonoursStartGate);
        using var gate = new SemaphoreSlim(0);
        using var workspace = f.NewWorkspace();
        var sink = new CollectingSink();
        var started = 0;
        var run = f.Sandbox.RunAsync(new SandboxSpec(Marker, workspace.Path, SandboxFixture.Limits) { StartGate = gate, OnStart = () => Interlocked.Increment(ref started) }, sink);

        // No slot: the sandbox may be set up, but nothing of the program has run.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(run.IsCompleted);
        Assert.Equal(0, Volatile.Read(ref started));
        Assert.False(File.Exists(Path.Combine(workspace.Path, "started")));
        Assert.Equal(string.Empty, sink.Stdout);

        gate.Release();
        var result = await run.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal("ran\n", sink.Stdout);
        Assert.True(File.Exists(Path.Combine(workspace.Path, "started")));
        Assert.Equal(1, gate.CurrentCount);
        Assert.Equal(1, Volatile.Read(ref started));
    }

    [Fact]
    public async Task A_run_cancelled_while_it_waits_for_a_slot_runs_nothing_and_takes_no_slot()
    {
        using var gate = new SemaphoreSlim(0);
        using var workspace = f.NewWorkspace();
        using var cancel = new CancellationTokenSource();
        var sink = new CollectingSink();
        var started = 0;
        var run = f.Sandbox.RunAsync(new SandboxSpec(Marker, workspace.Path, SandboxFixture.Limits) { StartGate = gate, OnStart = () => Interlocked.Increment(ref started) }, sink, cancel.Token);

        await Task.Delay(TimeSpan.FromSeconds(1));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.False(File.Exists(Path.Combine(workspace.Path, "started")));
        Assert.Equal(string.Empty, sink.Stdout);
        Assert.Equal(0, gate.CurrentCount);
        Assert.Equal(0, Volatile.Read(ref started));

        // The workspace is free again, and a run with a slot works.
        gate.Release();
        var again = await f.Sandbox.RunAsync(new SandboxSpec(Marker, workspace.Path, SandboxFixture.Limits) { StartGate = gate }, sink).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(again.Succeeded, again.Detail);
        Assert.Equal(1, gate.CurrentCount);
    }
}
