using System.Runtime.CompilerServices;
using System.Text;
using Sandrun.Native;
using SharpCompress.Archives;
using SharpCompress.Archives.Zip;
using SharpCompress.Common;
using SharpCompress.Readers;

namespace Sandrun.Intake;

/// <summary>
/// Reads zip archives with SharpCompress. The part is first spooled into an anonymous in-memory file (the
/// upload stays in RAM, SPEC.md §5) because entry types and Unix modes live in the central directory at the
/// end of the archive. Anything SharpCompress throws on malformed input becomes a 400, and each entry's data
/// is checked against the CRC-32 and size its header declares.
/// </summary>
internal static class ZipEntryReader
{
    private const int FileTypeMask = 0xF000, RegularFile = 0x8000, DirectoryType = 0x4000, SymlinkType = 0xA000;

    public static async IAsyncEnumerable<ArchiveEntry> ReadAsync(
        Stream content, string part, IntakeLimits limits, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var whole = new EntryRef(part, null);
        await using var spool = await SpoolAsync(content, cancellationToken).ConfigureAwait(false);
        using var archive = Decode(() => ZipArchive.OpenArchive(spool, Options()), whole);
        using var entries = Decode(() => archive.Entries.GetEnumerator(), whole);
        while (Decode(entries.MoveNext, whole))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = entries.Current;
            var name = Decode(() => entry.Key ?? "", whole);
            var at = new EntryRef(part, name);
            var (kind, executable) = Decode(() => Classify(entry, at), at);
            if (kind == EntryKind.Directory)
            {
                yield return new ArchiveEntry(name, kind, "", false, Stream.Null);
                continue;
            }

            using var raw = Decode(entry.OpenEntryStream, at);
            var data = new VerifiedZipEntryStream(new GuardedReadStream(raw, at), (uint)entry.Crc, entry.Size, at);
            yield return kind == EntryKind.Symlink
                ? new ArchiveEntry(name, kind, await ReadLinkTargetAsync(data, limits, at, cancellationToken).ConfigureAwait(false), false, Stream.Null)
                : new ArchiveEntry(name, kind, "", executable, data);
        }
    }

    private static ReaderOptions Options() => new()
    {
        LeaveStreamOpen = true,

        // Names are taken as UTF-8 whatever the entry's flags say; undecodable bytes become U+FFFD, which
        // EntryPath refuses.
        ArchiveEncoding = new ArchiveEncoding { CustomDecoder = (bytes, start, count, _) => Encoding.UTF8.GetString(bytes, start, count) },
    };

    private static async Task<FileStream> SpoolAsync(Stream content, CancellationToken cancellationToken)
    {
        var handle = Posix.MemoryFile("sandrun-upload");
        var spool = new FileStream(handle, FileAccess.ReadWrite);
        try
        {
            await content.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
            spool.Position = 0;
            return spool;
        }
        catch
        {
            await spool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // The Unix mode is the high half of the external attributes; archives made elsewhere leave it zero.
    private static (EntryKind Kind, bool Executable) Classify(IArchiveEntry entry, EntryRef at)
    {
        if (entry.IsEncrypted)
        {
            throw at.Invalid("is encrypted; encrypted entries are not supported");
        }

        var mode = (entry.Attrib ?? 0) >>> 16;
        var executable = (mode & 0b001_001_001) != 0;
        if (entry.IsDirectory)
        {
            return (EntryKind.Directory, false);
        }

        return (mode & FileTypeMask) switch
        {
            0 or RegularFile => (EntryKind.File, executable),
            DirectoryType => (EntryKind.Directory, false),
            SymlinkType => (EntryKind.Symlink, false),
            _ => throw at.Invalid("is a device node, FIFO or socket; those are not allowed"),
        };
    }

    // A zip symlink stores its target as the entry's data.
    private static async Task<string> ReadLinkTargetAsync(Stream data, IntakeLimits limits, EntryRef at, CancellationToken cancellationToken)
    {
        var buffer = new byte[limits.MaxPathLength + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await data.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        if (length > limits.MaxPathLength)
        {
            throw at.Invalid($"is a symlink whose target is longer than {limits.MaxPathLength} bytes");
        }

        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static T Decode<T>(Func<T> read, EntryRef at)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (GuardedReadStream.IsDecoderFailure(ex))
        {
            throw GuardedReadStream.Corrupt(at, ex);
        }
    }
}
