namespace Sandrun.Manifest;

/// <summary>
/// A validated manifest, normalized and with every default applied: this is the manifest that is hashed into
/// <c>job_hash</c> (SPEC.md §6) and that the job runs with.
/// </summary>
/// <param name="Entrypoint">Uploaded file to run, a relative '/'-separated path without <c>.</c> or <c>..</c> segments.</param>
/// <param name="Interpreter">One of <see cref="Interpreters.All"/>, installed on this host.</param>
/// <param name="Args">Arguments after the entrypoint, passed as argv (never through a shell).</param>
/// <param name="Env">Extra environment variables for the job (none of them forbidden).</param>
/// <param name="Outputs">Normalized output globs (see <see cref="OutputGlob"/>); empty means "files created or changed by the job".</param>
/// <param name="Environment">Operator-configured environment template, or null for none.</param>
/// <param name="Requirements">Dependency file installed before the run (<c>requirements.txt</c>, <c>package.json</c>, <c>Gemfile</c>), or null.</param>
/// <param name="TimeoutSeconds">Wall-clock limit in seconds.</param>
/// <param name="MemoryMb">Memory limit in MiB.</param>
/// <param name="CpuSeconds">CPU time limit in seconds, all processes together.</param>
/// <param name="Gpu">GPU request, or null when the manifest asks for none.</param>
public sealed record JobManifest(
    string Entrypoint,
    string Interpreter,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyList<string> Outputs,
    string? Environment,
    string? Requirements,
    int TimeoutSeconds,
    int MemoryMb,
    int CpuSeconds,
    GpuRequest? Gpu)
{
    /// <summary>Text given to the program's standard input (UTF-8); empty means stdin reads end-of-file at once.</summary>
    public string Stdin { get; init; } = string.Empty;
}
