using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Tmds.Linux;

namespace Sandrun.Native;

/// <summary>
/// The engine's libc calls: the fd-relative ones the workspace writer is built on (every name is a single path
/// component resolved against a directory fd, so no call walks through a directory or symlink an upload planted)
/// and openat2/statx for reading what a job left behind. Constants and structures come from Tmds.LibC, which ships
/// one assembly per architecture (arm64's open flags differ from x86-64's), the same source Sandrun.Linux uses.
/// </summary>
internal static partial class Posix
{
    // The asm-generic errno values, which x86-64 and arm64 share; constants so that callers can match them in patterns.
    public const int EINTR = 4, EEXIST = 17, ENOTDIR = 20, EFBIG = 27, ENOSPC = 28, ELOOP = 40, EDQUOT = 122;

    // openat2 has the same number on x86-64 and arm64 (the generic table), and none on other architectures here.
    private static readonly long Openat2Number = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64 ? 437 : -1;

    public static int O_RDONLY => LibC.O_RDONLY;

    public static int O_WRONLY => LibC.O_WRONLY;

    public static int O_CREAT => LibC.O_CREAT;

    public static int O_EXCL => LibC.O_EXCL;

    public static int O_NONBLOCK => LibC.O_NONBLOCK;

    public static int O_CLOEXEC => LibC.O_CLOEXEC;

    public static int O_DIRECTORY => LibC.O_DIRECTORY;

    public static int O_NOFOLLOW => LibC.O_NOFOLLOW;

    public static ulong RESOLVE_NO_MAGICLINKS => LibC.RESOLVE_NO_MAGICLINKS;

    public static ulong RESOLVE_NO_SYMLINKS => LibC.RESOLVE_NO_SYMLINKS;

    public static ulong RESOLVE_BENEATH => LibC.RESOLVE_BENEATH;

    public static int AT_SYMLINK_NOFOLLOW => LibC.AT_SYMLINK_NOFOLLOW;

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>Opens <paramref name="path"/> (a trusted host path, not upload data).</summary>
    public static SafeFileHandle Open(string path, int flags) => Wrap(OpenRaw(path, flags, 0));

    /// <summary>openat(2); the handle is invalid on failure (see <see cref="LastErrno"/>).</summary>
    public static SafeFileHandle OpenAt(SafeFileHandle directory, string name, int flags, int mode = 0) =>
        Wrap(OpenAtRaw(directory, name, flags, mode));

    /// <summary>openat2(2) relative to <paramref name="directory"/>; the handle is invalid on failure.</summary>
    public static unsafe SafeFileHandle OpenAt2(SafeFileHandle directory, string path, int flags, ulong resolve)
    {
        var how = new open_how { flags = (ulong)flags, resolve = resolve };
        return Wrap((int)Openat2(Openat2Number, directory.DangerousGetHandle(), path, &how, (nuint)sizeof(open_how)));
    }

    /// <summary>statx(2) of an open file; null when it fails.</summary>
    public static unsafe FileStatus? Status(SafeFileHandle handle) => Status((int)handle.DangerousGetHandle(), string.Empty, LibC.AT_EMPTY_PATH);

    /// <summary>statx(2) of <paramref name="name"/> in <paramref name="directory"/>, not following a symlink; null when it fails.</summary>
    public static FileStatus? StatusAt(SafeFileHandle directory, string name) => Status((int)directory.DangerousGetHandle(), name, LibC.AT_SYMLINK_NOFOLLOW);

    /// <summary>
    /// getdents64(2): fills <paramref name="buffer"/> with the directory's next <c>linux_dirent64</c> records; the
    /// byte count, 0 at the end, or -1 (see <see cref="LastErrno"/>).
    /// </summary>
    public static nint ReadDirectoryEntries(SafeFileHandle directory, Span<byte> buffer) => GetDents64(directory, buffer, (nuint)buffer.Length);

    /// <summary>An anonymous RAM-backed file (memfd_create(2)), close-on-exec; throws <see cref="IOException"/> when none can be made.</summary>
    public static SafeFileHandle MemoryFile(string name)
    {
        var handle = Wrap(MemfdCreate(name, LibC.MFD_CLOEXEC));
        if (handle.IsInvalid)
        {
            var error = Error("memfd_create");
            handle.Dispose();
            throw error;
        }

        return handle;
    }

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

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial long Openat2(long number, nint dirfd, string path, open_how* how, nuint size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, statx* buffer);

    private static unsafe FileStatus? Status(int dirfd, string path, int flags)
    {
        statx status;
        if (Statx(dirfd, path, flags, LibC.STATX_TYPE | LibC.STATX_INO | LibC.STATX_SIZE, &status) != 0)
        {
            return null;
        }

        return new FileStatus(
            (int)(status.stx_mode & LibC.S_IFMT), ((ulong)status.stx_dev_major << 32) | status.stx_dev_minor, status.stx_ino, (long)status.stx_size);
    }

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint GetDents64(SafeFileHandle directory, Span<byte> buffer, nuint count);

    // On Linux a SafeFileHandle is invalid exactly when the descriptor is negative, i.e. the call failed.
    private static SafeFileHandle Wrap(int fd) => new(fd, ownsHandle: true);
}
