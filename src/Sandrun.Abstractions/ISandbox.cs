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

    /// <summary>
    /// Sets the sandbox up now instead of on the first job. Throws <see cref="SandboxUnavailableException"/> naming
    /// what this host lacks (and so how to fix it) when jobs cannot run here; returns at once once set up.
    /// </summary>
    void EnsureReady();

    /// <summary>
    /// Whether a program named without a '/' (e.g. <c>python3</c>) is an executable in the sandbox's search path,
    /// so that an argv starting with it can run. The one source of truth for which interpreters a host offers.
    /// </summary>
    bool CanRun(string program);

    /// <summary>
    /// Whether <see cref="RunAsync"/> honours <see cref="SandboxSpec.StartGate"/> (sets the sandbox up first, starts
    /// the program only while it holds a slot, and calls <see cref="SandboxSpec.OnStart"/> once it does); a caller that
    /// overlaps runs relies on it to bound running programs.
    /// </summary>
    bool HonoursStartGate => false;
}
