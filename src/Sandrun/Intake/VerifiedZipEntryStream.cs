using System.IO.Hashing;

namespace Sandrun.Intake;

/// <summary>
/// A zip entry's data checked against its central directory record: SharpCompress verifies neither the CRC-32
/// nor the size, so damaged data would otherwise be extracted silently. More data than declared is refused as
/// soon as it appears, so an entry that understates its size cannot stream on.
/// </summary>
internal sealed class VerifiedZipEntryStream(Stream inner, uint expectedCrc, long expectedSize, EntryRef at) : ReadOnlyStream
{
    private readonly Crc32 crc = new();
    private long size;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        size += read;
        if (size > expectedSize)
        {
            throw at.Invalid($"is corrupt (more data than the {expectedSize} bytes its header declares)");
        }

        if (read > 0)
        {
            crc.Append(buffer.Span[..read]);
        }
        else if (size != expectedSize || crc.GetCurrentHashAsUInt32() != expectedCrc)
        {
            throw at.Invalid("is corrupt (its data does not match the CRC-32 and size in its header)");
        }

        return read;
    }
}
