namespace Sandrun.Intake;

/// <summary>
/// Reads decompressed or parsed archive data, turning whatever a decoder throws on malformed input into a 400
/// naming the part or entry, so a hostile archive can never surface as a 500.
/// </summary>
internal sealed class GuardedReadStream(Stream inner, EntryRef at) : ReadOnlyStream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsDecoderFailure(ex))
        {
            throw Corrupt(at, ex);
        }
    }

    /// <summary>
    /// Whether <paramref name="ex"/> is a decoder's reaction to bad input rather than intake's own verdict,
    /// a cancellation, or the process running out of memory.
    /// </summary>
    public static bool IsDecoderFailure(Exception ex) =>
        ex is not (IntakeException or OperationCanceledException or OutOfMemoryException);

    public static IntakeException Corrupt(EntryRef at, Exception ex) => at.Invalid($"is corrupt ({ex.Message})");
}
