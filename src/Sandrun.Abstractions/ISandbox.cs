namespace Sandrun.Abstractions;

/// <summary>Runs one program in an isolated sandbox and reports how it ended.</summary>
public interface ISandbox
{
    /// <summary>
    /// Runs <paramref name="spec"/> to completion. Output is delivered to <paramref name="output"/>
    /// while the program runs. Throws <see cref="SandboxUnavailableException"/> when isolation cannot
    /// be set up (nothing is executed then); every other outcome is described by the result.
    /// </summary>
    Task<SandboxResult> RunAsync(SandboxSpec spec, ISandboxOutputSink output, CancellationToken cancellationToken = default);
}
