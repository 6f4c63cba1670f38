namespace Sandrun.Linux.Execution;

/// <summary>
/// One run's hold on a slot of <see cref="Abstractions.SandboxSpec.StartGate"/>: taken just before its program may
/// start, given back once every process of the run is gone (or when the run ends without having started). Without a
/// gate there is nothing to take.
/// </summary>
internal sealed class StartSlot(SemaphoreSlim? gate) : IDisposable
{
    private bool held;

    /// <summary>
    /// Waits for a free slot; throws <see cref="OperationCanceledException"/> when the run is cancelled first, or by the
    /// time it gets one (a slot freed by a run cancelled together with this one, at shutdown, may reach it first: a
    /// cancelled run must not start its program). A slot taken that way goes back on <see cref="Dispose"/>.
    /// </summary>
    public void Take(CancellationToken cancellationToken)
    {
        if (gate is not null && !held)
        {
            gate.Wait(cancellationToken);
            held = true;
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (held)
        {
            held = false;
            gate!.Release();
        }
    }
}
