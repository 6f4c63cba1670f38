using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Sandrun.Tests.Intake;

/// <summary>Writes tar archives header by header, including the malformed and hostile ones no library writes.</summary>
internal sealed class TarBuilder
{
    public const int Block = 512;
    private readonly MemoryStream stream = new();

    public TarBuilder File(string name, string content, int mode = 0b110_100_100) => File(name, Encoding.UTF8.GetBytes(content), mode);

    public TarBuilder File(string name, byte[] content, int mode = 0b110_100_100) =>
        Entry(Encoding.UTF8.GetBytes(name), '0', content, mode: mode);

    public TarBuilder Directory(string name) => Entry(Encoding.UTF8.GetBytes(name), '5', mode: 0b111_101_101);

    public TarBuilder Symlink(string name, string target) => Entry(Encoding.UTF8.GetBytes(name), '2', link: target, mode: 0b111_111_111);

    public TarBuilder Hardlink(string name, string target) => Entry(Encoding.UTF8.GetBytes(name), '1', link: target);

    /// <summary>A GNU long-name record followed by a file entry whose header name is cut to 100 bytes.</summary>
    public TarBuilder LongNameFile(string name, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        Entry("././@LongLink"u8.ToArray(), 'L', [.. bytes, 0]);
        return Entry(bytes[..Math.Min(bytes.Length, 100)], '0', Encoding.UTF8.GetBytes(content));
    }

    /// <summary>A PAX extended header with the given records; applies to the next entry.</summary>
    public TarBuilder Pax(params (string Key, string Value)[] records)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in records)
        {
            var body = $" {key}={value}\n";
            var length = Encoding.UTF8.GetByteCount(body);
            var digits = length.ToString(CultureInfo.InvariantCulture).Length;
            if ((length + digits).ToString(CultureInfo.InvariantCulture).Length != digits)
            {
                digits++;
            }

            text.Append(CultureInfo.InvariantCulture, $"{length + digits}{body}");
        }

        return Entry("PaxHeaders/x"u8.ToArray(), 'x', Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>
    /// Any entry: raw name bytes, type flag, data. <paramref name="patch"/> edits the header before the checksum
    /// is computed (or after, with <paramref name="patchAfterChecksum"/>).
    /// </summary>
    public TarBuilder Entry(
        byte[] name, char type, byte[]? data = null, string link = "", int mode = 0b110_100_100,
        long? declaredSize = null, Action<byte[]>? patch = null, bool patchAfterChecksum = false)
    {
        data ??= [];
        var header = new byte[Block];
        name.AsSpan(0, Math.Min(name.Length, 100)).CopyTo(header);
        Octal(header, 100, 8, mode);
        Octal(header, 108, 8, 0);
        Octal(header, 116, 8, 0);
        Octal(header, 124, 12, declaredSize ?? data.Length);
        Octal(header, 136, 12, 1_700_000_000);
        header[156] = (byte)type;
        Encoding.UTF8.GetBytes(link).AsSpan(0, Math.Min(Encoding.UTF8.GetByteCount(link), 100)).CopyTo(header.AsSpan(157));
        "ustar\000"u8.CopyTo(header.AsSpan(257));
        if (!patchAfterChecksum)
        {
            patch?.Invoke(header);
        }

        "        "u8.CopyTo(header.AsSpan(148));
        var sum = header.Sum(b => (long)b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        if (patchAfterChecksum)
        {
            patch?.Invoke(header);
        }

        stream.Write(header);
        stream.Write(data);
        stream.Write(new byte[(Block - (data.Length % Block)) % Block]);
        return this;
    }

    /// <summary>Raw bytes appended as they are (for truncation and garbage cases).</summary>
    public TarBuilder Raw(byte[] bytes)
    {
        stream.Write(bytes);
        return this;
    }

    /// <summary>The archive with its end-of-archive marker.</summary>
    public byte[] ToTar() => [.. stream.ToArray(), .. new byte[2 * Block]];

    /// <summary>The archive without an end marker (a truncated or still-growing stream).</summary>
    public byte[] ToUnterminatedTar() => stream.ToArray();

    public byte[] ToTarGz() => Gzip(ToTar());

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Writes <paramref name="value"/> as zero-padded octal in a field of <paramref name="length"/> bytes (NUL-terminated).</summary>
    public static void Octal(byte[] header, int offset, int length, long value) =>
        Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(length - 1, '0') + "\0").CopyTo(header, offset);
}
