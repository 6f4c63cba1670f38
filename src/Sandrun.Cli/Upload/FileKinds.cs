using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Sandrun.Cli.Upload;

/// <summary>
/// What a directory entry is, without following it: .NET tells directories and links apart but not a FIFO, socket
/// or device from a regular file, and opening a FIFO to pack it would hang the upload.
/// </summary>
internal static partial class FileKinds
{
    /// <summary>True when <paramref name="path"/> itself (not a link's target) is a regular file.</summary>
    public static unsafe bool IsRegularFile(string path)
    {
        statx status;
        return Statx(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_TYPE, &status) == 0
            && (status.stx_mode & LibC.S_IFMT) == LibC.S_IFREG;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, statx* buffer);
}
