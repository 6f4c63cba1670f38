namespace Sandrun.Manifest;

/// <summary>What a manifest is checked against: the upload it came with and this host's configuration.</summary>
/// <param name="UploadedFiles">Relative '/'-separated paths of every uploaded regular file.</param>
/// <param name="Limits">Defaults and maxima for <c>timeout</c>, <c>memory_mb</c> and <c>cpu_seconds</c>.</param>
/// <param name="Environments">Names of the operator-configured environment templates.</param>
/// <param name="AvailableInterpreters">Interpreters installed on this host (a subset of <see cref="Interpreters.All"/>).</param>
public sealed record ManifestContext(
    IReadOnlyCollection<string> UploadedFiles,
    LimitOptions Limits,
    IReadOnlyCollection<string> Environments,
    IReadOnlyCollection<string> AvailableInterpreters);
