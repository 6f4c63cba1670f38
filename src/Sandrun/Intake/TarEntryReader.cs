using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sandrun.Intake;

/// <summary>
/// A strict, streaming reader of tar archives (ustar, GNU and PAX). Intake reads tar itself instead of through
/// SharpCompress because SharpCompress does not expose the entry type: a hardlink looks like a symlink there,
/// and a FIFO or a device node like an empty file, while intake must tell them apart to copy, create or refuse
/// them. Nothing in a header is trusted: sizes are checked against the budget, metadata records are capped and
/// charged to the budget, and any malformed field is a 400.
/// </summary>
internal sealed class TarEntryReader
{
    private const int BlockSize = 512;
    private const int TypeOffset = 156;

    // PAX records besides paths (mtime, xattrs) are small; room for a path and a link target on top of that.
    private const int PaxBaseCap = 64 * 1024;

    private readonly Stream input;
    private readonly string part;
    private readonly IntakeLimits limits;
    private readonly ByteBudget extracted;
    private readonly byte[] header = new byte[BlockSize];
    private long offset;
    private long dataLeft;
    private long paddingLeft;
    private EntryRef current;

    private TarEntryReader(Stream input, string part, IntakeLimits limits, ByteBudget extracted)
    {
        this.input = input;
        this.part = part;
        this.limits = limits;
        this.extracted = extracted;
        current = new EntryRef(part, null);
    }

    /// <summary>
    /// Reads the entries of the tar stream <paramref name="input"/>. Each entry's content must be consumed (or
    /// abandoned) before asking for the next; whatever is left of it is skipped.
    /// </summary>
    public static async IAsyncEnumerable<ArchiveEntry> ReadAsync(
        Stream input, string part, IntakeLimits limits, ByteBudget extracted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = new TarEntryReader(input, part, limits, extracted);
        while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } entry)
        {
            yield return entry;
        }
    }

    private async Task<ArchiveEntry?> NextAsync(CancellationToken cancellationToken)
    {
        await SkipAsync(dataLeft + paddingLeft, cancellationToken).ConfigureAwait(false);
        dataLeft = paddingLeft = 0;

        Dictionary<string, string>? pax = null;
        string? longName = null, longLink = null;
        while (true)
        {
            var headerOffset = offset;
            var at = current = new EntryRef(part, null);
            var read = await ReadFullyAsync(header, cancellationToken).ConfigureAwait(false);

            // The end-of-archive marker is zero blocks; an archive that stops at a block boundary, or inside its
            // end marker, ends too.
            if (header.AsSpan(0, read).IndexOfAnyExcept((byte)0) < 0)
            {
                if (pax is not null || longName is not null || longLink is not null)
                {
                    throw at.Invalid($"ends after a metadata header with no entry (byte {headerOffset})");
                }

                return null;
            }

            if (read < BlockSize)
            {
                throw at.Invalid($"is truncated (partial tar header at byte {headerOffset})");
            }

            if (!ChecksumMatches())
            {
                throw at.Invalid($"has a corrupt tar header at byte {headerOffset} (checksum mismatch)");
            }

            var type = (char)header[TypeOffset];
            var size = ReadSize(at, headerOffset);
            switch (type)
            {
                case 'x':
                    pax = ParsePax(await ReadMetadataAsync(size, PaxCap, "PAX header", headerOffset, cancellationToken).ConfigureAwait(false), at, headerOffset);
                    continue;
                case 'g':
                    // Global PAX defaults are not applied: intake uses no field they could sensibly default.
                    await ReadMetadataAsync(size, PaxCap, "PAX header", headerOffset, cancellationToken).ConfigureAwait(false);
                    continue;
                case 'L':
                    if (size > limits.MaxPathLength + 1L)
                    {
                        throw await NameTooLongAsync(size, cancellationToken).ConfigureAwait(false);
                    }

                    longName = DecodeName(await ReadMetadataAsync(size, size, "GNU long name", headerOffset, cancellationToken).ConfigureAwait(false));
                    continue;
                case 'K':
                    longLink = DecodeName(await ReadMetadataAsync(size, limits.MaxPathLength + 1L, "GNU long link target", headerOffset, cancellationToken).ConfigureAwait(false));
                    continue;
            }

            var name = pax?.GetValueOrDefault("path") ?? longName ?? HeaderName();
            var link = pax?.GetValueOrDefault("linkpath") ?? longLink ?? DecodeName(Field(157, 100));
            return Entry(type, name, link, size, pax);
        }
    }

    private long PaxCap => PaxBaseCap + (2L * limits.MaxPathLength);

    private ArchiveEntry Entry(char type, string name, string link, long size, Dictionary<string, string>? pax)
    {
        var at = current = new EntryRef(part, name);
        if (pax is not null)
        {
            if (pax.TryGetValue("size", out var paxSize) &&
                !long.TryParse(paxSize, NumberStyles.None, CultureInfo.InvariantCulture, out size))
            {
                throw at.Invalid($"has a malformed PAX size '{EntryRef.Show(paxSize)}'");
            }

            if (pax.Keys.Any(key => key.StartsWith("GNU.sparse.", StringComparison.Ordinal)))
            {
                throw at.Invalid("is a sparse file; those are not supported");
            }
        }

        if (!TryParseOctal(header.AsSpan(100, 8), out var mode))
        {
            throw at.Invalid("has a malformed mode field");
        }

        var kind = type switch
        {
            '0' or '7' => EntryKind.File,

            // Pre-POSIX archives mark directories only by the trailing '/'.
            '\0' => name.EndsWith('/') ? EntryKind.Directory : EntryKind.File,
            '1' => EntryKind.Hardlink,
            '2' => EntryKind.Symlink,
            '5' => EntryKind.Directory,
            '3' or '4' => throw at.Invalid("is a device node; those are not allowed"),
            '6' => throw at.Invalid("is a FIFO; those are not allowed"),
            _ => throw at.Invalid($"has an unsupported tar entry type {ShowType(type)}"),
        };
        var executable = (mode & 0b001_001_001) != 0;
        if (kind != EntryKind.File)
        {
            // Header-only types carry no data whatever their size field says (as GNU tar and Go's archive/tar read them).
            return new ArchiveEntry(name, kind, link, executable, Stream.Null);
        }

        // A declared size can prove an entry too big, never small enough: the data is still counted as it streams.
        extracted.EnsureRoom(size, at);
        dataLeft = size;
        paddingLeft = PaddingAfter(size);
        return new ArchiveEntry(name, kind, "", executable, new EntryStream(this));
    }

    private async ValueTask<int> ReadDataAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (dataLeft == 0 || buffer.Length == 0)
        {
            return 0;
        }

        var read = await input.ReadAsync(buffer[..(int)Math.Min(buffer.Length, dataLeft)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw current.Invalid("is truncated");
        }

        dataLeft -= read;
        offset += read;
        return read;
    }

    private async Task<byte[]> ReadMetadataAsync(long size, long cap, string what, long headerOffset, CancellationToken cancellationToken)
    {
        var at = new EntryRef(part, null);
        if (size > cap)
        {
            throw at.Invalid($"has a {what} of {size} bytes at byte {headerOffset}; the limit is {cap}");
        }

        extracted.Charge(size, at);
        var data = new byte[size];
        if (await ReadFullyAsync(data, cancellationToken).ConfigureAwait(false) < size)
        {
            throw at.Invalid($"is truncated (inside the {what} at byte {headerOffset})");
        }

        await SkipAsync(PaddingAfter(size), cancellationToken).ConfigureAwait(false);
        return data;
    }

    private async Task<IntakeException> NameTooLongAsync(long size, CancellationToken cancellationToken)
    {
        // Read just enough of the name to show which entry it is.
        var start = new byte[Math.Min(size, 256)];
        var read = await ReadFullyAsync(start, cancellationToken).ConfigureAwait(false);
        var shown = DecodeName(start.AsSpan(0, read)) + "…";
        return new EntryRef(part, shown).Invalid($"has a name longer than {limits.MaxPathLength} bytes");
    }

    private async Task<int> ReadFullyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await input.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        offset += total;
        return total;
    }

    private async Task SkipAsync(long count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            var read = await ReadFullyAsync(header.AsMemory(0, (int)Math.Min(count, BlockSize)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw current.Invalid("is truncated");
            }

            count -= read;
        }
    }

    private bool ChecksumMatches()
    {
        if (!TryParseOctal(header.AsSpan(148, 8), out var stored))
        {
            return false;
        }

        // The checksum field counts as spaces; some old writers summed signed bytes.
        long unsigned = 0, signed = 0;
        for (var i = 0; i < BlockSize; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsigned += b;
            signed += (sbyte)b;
        }

        return stored == unsigned || stored == signed;
    }

    private long ReadSize(EntryRef at, long headerOffset)
    {
        var field = header.AsSpan(124, 12);
        if ((field[0] & 0x80) == 0)
        {
            return TryParseOctal(field, out var octal)
                ? octal
                : throw at.Invalid($"has a malformed size field in the tar header at byte {headerOffset}");
        }

        // GNU base-256: big-endian two's complement after the marker bit.
        if ((field[0] & 0x40) != 0)
        {
            throw at.Invalid($"has a negative size in the tar header at byte {headerOffset}");
        }

        long value = field[0] & 0x3F;
        foreach (var b in field[1..])
        {
            if (value >> 55 != 0)
            {
                throw at.Invalid($"has an out-of-range size in the tar header at byte {headerOffset}");
            }

            value = (value << 8) | b;
        }

        return value;
    }

    private string HeaderName()
    {
        var name = DecodeName(Field(0, 100));

        // Only POSIX ustar has the prefix field; GNU keeps times in those bytes.
        if (header.AsSpan(257, 6).SequenceEqual("ustar\0"u8) && Field(345, 155) is { Length: > 0 } prefix)
        {
            return DecodeName(prefix) + "/" + name;
        }

        return name;
    }

    private ReadOnlySpan<byte> Field(int start, int length)
    {
        var field = header.AsSpan(start, length);
        var end = field.IndexOf((byte)0);
        return end < 0 ? field : field[..end];
    }

    private static Dictionary<string, string> ParsePax(byte[] data, EntryRef at, long headerOffset)
    {
        // Records are "<length> <key>=<value>\n", the length counting the whole record.
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = data.AsSpan();
        while (rest.Length > 0)
        {
            var space = rest.IndexOf((byte)' ');
            if (space <= 0 ||
                !int.TryParse(rest[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length) ||
                length <= space + 1 || length > rest.Length || rest[length - 1] != '\n')
            {
                throw at.Invalid($"has a malformed PAX header at byte {headerOffset}");
            }

            var record = rest[(space + 1)..(length - 1)];
            var equals = record.IndexOf((byte)'=');
            if (equals <= 0)
            {
                throw at.Invalid($"has a malformed PAX header at byte {headerOffset}");
            }

            var key = Encoding.UTF8.GetString(record[..equals]);
            var value = Encoding.UTF8.GetString(record[(equals + 1)..]);

            // An empty value deletes the keyword, so the header field applies again.
            if (value.Length == 0)
            {
                records.Remove(key);
            }
            else
            {
                records[key] = value;
            }

            rest = rest[length..];
        }

        return records;
    }

    private static bool TryParseOctal(ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var digits = field.Trim(" \0"u8);
        foreach (var digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'7' || value >> 60 != 0)
            {
                return false;
            }

            value = (value << 3) | (uint)(digit - '0');
        }

        return true;
    }

    // Names keep their bytes' meaning as UTF-8; invalid sequences become U+FFFD, which EntryPath refuses.
    private static string DecodeName(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private static long PaddingAfter(long size) => (BlockSize - (size % BlockSize)) % BlockSize;

    private static string ShowType(char type) =>
        char.IsAsciiLetterOrDigit(type) ? $"'{type}'" : $"0x{(int)type:x2}";

    private sealed class EntryStream(TarEntryReader reader) : ReadOnlyStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            reader.ReadDataAsync(buffer, cancellationToken);
    }
}
