namespace Sandrun.Intake;

/// <summary>Caps applied while an upload is taken into a workspace.</summary>
/// <param name="MaxUploadBytes">Bytes that may be read from all parts together (compressed size); more is a 413.</param>
/// <param name="MaxExtractedBytes">
/// Bytes that may be written into the workspace, counted while streaming (archive headers are never trusted);
/// archive metadata records count too, so an archive of nothing but metadata is bounded as well. More is a 413.
/// </param>
/// <param name="MaxEntries">Entries (files, directories, links, plain parts) in the whole upload; more is a 413.</param>
/// <param name="MaxPathLength">Longest entry path or symlink target, in UTF-8 bytes; longer is a 400.</param>
/// <param name="MaxPathDepth">Most path components an entry may have; deeper is a 400.</param>
public sealed record IntakeLimits(long MaxUploadBytes, long MaxExtractedBytes, int MaxEntries, int MaxPathLength, int MaxPathDepth)
{
    /// <summary>100 MiB uploaded, 100 MiB extracted, 10 000 entries, 1024-byte paths, 64 levels.</summary>
    public static IntakeLimits Default { get; } = new(100L << 20, 100L << 20, 10_000, 1024, 64);
}
