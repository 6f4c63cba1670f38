using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>
/// The record of one run of a job's output (consecutive bytes of one stream): an unsigned LEB128 varint of
/// <c>length × 2 + (1 for stderr)</c>, so a job that alternates streams byte by byte costs one record byte per byte.
/// </summary>
internal static class RunRecord
{
    /// <summary>The longest record: a varint of 64 bits.</summary>
    public const int MaxSize = 10;

    /// <summary>Writes the record of a run into <paramref name="destination"/>; its size.</summary>
    public static int Encode(SandboxStream stream, long length, Span<byte> destination)
    {
        var value = ((ulong)length << 1) | (stream == SandboxStream.Stderr ? 1UL : 0UL);
        var size = 0;
        while (value >= 0x80)
        {
            destination[size++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[size++] = (byte)value;
        return size;
    }

    /// <summary>Reads the record at the start of <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a whole record.</exception>
    public static (SandboxStream Stream, long Length, int Size) Decode(ReadOnlySpan<byte> source)
    {
        ulong value = 0;
        for (var i = 0; i < Math.Min(source.Length, MaxSize); i++)
        {
            value |= (ulong)(source[i] & 0x7f) << (7 * i);
            if (source[i] < 0x80)
            {
                return ((value & 1) == 1 ? SandboxStream.Stderr : SandboxStream.Stdout, (long)(value >> 1), i + 1);
            }
        }

        throw new InvalidDataException("truncated job log run record");
    }
}
