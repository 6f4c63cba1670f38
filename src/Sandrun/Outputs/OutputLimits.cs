namespace Sandrun.Outputs;

/// <summary>
/// Bounds on output collection, so that no tree a job can build within its workspace makes finishing it slow,
/// memory-hungry or impossible. What is left out because of them is said in <see cref="OutputCollection.Notes"/>.
/// </summary>
public sealed record OutputLimits
{
    /// <summary>The defaults.</summary>
    public static OutputLimits Default { get; } = new();

    /// <summary>Outputs listed at most.</summary>
    public int MaxFiles { get; init; } = 10_000;

    /// <summary>
    /// Longest output path, in UTF-8 bytes. Longer paths are not outputs (nothing deeper is even looked at); the cap
    /// keeps every listed path openable in one openat2 call (PATH_MAX is 4096) and usable in a download URL.
    /// </summary>
    public int MaxPathBytes { get; init; } = 1024;

    /// <summary>Workspace entries (files, directories, links, anything) looked at. Hard links make their number unbounded by the workspace's inode cap.</summary>
    public int MaxEntries { get; init; } = 100_000;

    /// <summary>Bytes of content hashed in all (each inode once, however many links it has); sparse files make apparent sizes exceed the workspace.</summary>
    public long MaxHashedBytes { get; init; } = 1L << 30;
}
