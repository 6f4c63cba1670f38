using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SharpCompress.Common;
using SharpCompress.Writers;

namespace Sandrun.Tests.Intake;

/// <summary>Archives built in memory: ordinary ones with SharpCompress's writers, attribute-level zips with the BCL writer.</summary>
internal static class ArchiveFixtures
{
    public const int UnixRegular = 0x8000, UnixDirectory = 0x4000, UnixSymlink = 0xA000, UnixFifo = 0x1000;

    public static byte[] SharpCompressArchive(ArchiveType type, CompressionType compression, params (string Name, string Content)[] files)
    {
        using var output = new MemoryStream();
        using (var writer = WriterFactory.OpenWriter(output, type, new WriterOptions(compression) { LeaveStreamOpen = true }))
        {
            foreach (var (name, content) in files)
            {
                using var data = new MemoryStream(Encoding.UTF8.GetBytes(content));
                writer.Write(name, data, DateTime.UnixEpoch);
            }
        }

        return output.ToArray();
    }

    /// <summary>A zip whose entries carry a Unix mode (type and permission bits) in their external attributes.</summary>
    public static byte[] Zip(params (string Name, int UnixMode, byte[] Data)[] entries) => Zip(null, entries);

    public static byte[] Zip(Encoding? nameEncoding, params (string Name, int UnixMode, byte[] Data)[] entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: nameEncoding))
        {
            foreach (var (name, mode, data) in entries)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                entry.ExternalAttributes = mode << 16;
                using var stream = entry.Open();
                stream.Write(data);
            }
        }

        return output.ToArray();
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
