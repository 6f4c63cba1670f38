using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Enumeration;

namespace Sandrun.Broker.Intake;

/// <summary>
/// Packs a directory tree into a tar.gz: directories, regular files (with their execute bits) and symbolic links as
/// links. Links are never followed — .NET's recursive enumeration would follow a link to a directory, so the walk
/// does not recurse into reparse points.
/// </summary>
internal static class TreeArchive
{
    public static async Task<byte[]> PackAsync(string root, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entries = new FileSystemEnumerable<(string Path, bool Directory, bool Link)>(
                root,
                (ref FileSystemEntry e) => (e.ToFullPath(), e.IsDirectory, (e.Attributes & FileAttributes.ReparsePoint) != 0),
                new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            {
                ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
            };

            // Sorted: the same tree always packs to the same entry order.
            foreach (var (path, isDirectory, isLink) in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
            {
                var name = Path.GetRelativePath(root, path).Replace('\\', '/');
                if (isLink)
                {
                    var target = new FileInfo(path).LinkTarget ?? string.Empty;
                    await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target }, cancellationToken).ConfigureAwait(false);
                }
                else if (isDirectory)
                {
                    await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, name + "/") { Mode = (UnixFileMode)0b111_101_101 }, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var mode = File.GetUnixFileMode(path);
                    await using var data = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
                    {
                        DataStream = data,
                        Mode = (mode & UnixFileMode.UserExecute) != 0 ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                    };
                    await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return buffer.ToArray();
    }
}
