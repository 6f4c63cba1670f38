using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sandrun.Intake;

/// <summary>
/// The fd-relative libc calls the workspace writer is built on. Every name passed here is a single path
/// component resolved against a directory fd, so no call can walk through a directory or symlink the upload
/// planted.
/// </summary>
internal static partial class Posix
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_CLOEXEC = 0x80000;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int EINTR = 4, EEXIST = 17, ENOTDIR = 20, EFBIG = 27, ENOSPC = 28, ELOOP = 40, EDQUOT = 122;
    private const uint MFD_CLOEXEC = 1;

    // x86-64 uses the generic values; arm64 defines its own.
    public static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>Opens <paramref name="path"/> (a trusted host path, not upload data).</summary>
    public static SafeFileHandle Open(string path, int flags) => Wrap(OpenRaw(path, flags, 0));

    /// <summary>openat(2); the handle is invalid on failure (see <see cref="LastErrno"/>).</summary>
    public static SafeFileHandle OpenAt(SafeFileHandle directory, string name, int flags, int mode = 0) =>
        Wrap(OpenAtRaw(directory, name, flags, mode));

    /// <summary>An anonymous RAM-backed file (memfd_create(2)); the handle is invalid on failure.</summary>
    public static SafeFileHandle MemoryFile(string name) => Wrap(MemfdCreate(name, MFD_CLOEXEC));

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkdirAt(SafeFileHandle directory, string name, int mode);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SymlinkAt(string target, SafeFileHandle directory, string name);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int UnlinkAt(SafeFileHandle directory, string name, int flags);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int FchownAt(SafeFileHandle directory, string name, uint uid, uint gid, int flags);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    public static partial int Fchown(SafeFileHandle fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(SafeFileHandle fd, int mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(SafeFileHandle fd, ReadOnlySpan<byte> buffer, nint count);

    /// <summary>An <see cref="IOException"/> for the last failed call, with errno and its message.</summary>
    public static IOException Error(string what)
    {
        var errno = LastErrno;
        return new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenRaw(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAtRaw(SafeFileHandle directory, string name, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    // On Linux a SafeFileHandle is invalid exactly when the descriptor is negative, i.e. the call failed.
    private static SafeFileHandle Wrap(int fd) => new(fd, ownsHandle: true);
}
