using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sandrun.Native;

/// <summary>
/// The engine's libc calls: the fd-relative ones the workspace writer is built on (every name is a single path
/// component resolved against a directory fd, so no call walks through a directory or symlink an upload planted)
/// and openat2/statx for reading what a job left behind.
/// </summary>
internal static partial class Posix
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int EINTR = 4, EEXIST = 17, ENOTDIR = 20, EFBIG = 27, ENOSPC = 28, ELOOP = 40, EDQUOT = 122;
    private const uint MFD_CLOEXEC = 1;

    // openat2 has the same number on x86-64 and arm64 (the generic table), and none on other architectures here.
    private static readonly long Openat2Number = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64 ? 437 : -1;

    // x86-64 uses the generic values; arm64 defines its own.
    public static readonly int O_DIRECTORY = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    public static readonly int O_NOFOLLOW = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>Opens <paramref name="path"/> (a trusted host path, not upload data).</summary>
    public static SafeFileHandle Open(string path, int flags) => Wrap(OpenRaw(path, flags, 0));

    /// <summary>openat(2); the handle is invalid on failure (see <see cref="LastErrno"/>).</summary>
    public static SafeFileHandle OpenAt(SafeFileHandle directory, string name, int flags, int mode = 0) =>
        Wrap(OpenAtRaw(directory, name, flags, mode));

    /// <summary>openat2(2) relative to <paramref name="directory"/>; the handle is invalid on failure.</summary>
    public static SafeFileHandle OpenAt2(SafeFileHandle directory, string path, int flags, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)flags, Resolve = resolve };
        return Wrap((int)Openat2(Openat2Number, directory.DangerousGetHandle(), path, ref how, (nuint)Marshal.SizeOf<OpenHow>()));
    }

    /// <summary>Whether an open file is a regular file (statx on the fd: not a FIFO, device, socket or directory).</summary>
    public static unsafe bool IsRegularFile(SafeFileHandle handle)
    {
        // struct statx: stx_mode is a u16 at offset 28; STATX_TYPE = 1, AT_EMPTY_PATH = 0x1000.
        const int S_IFMT = 0xF000, S_IFREG = 0x8000;
        var buffer = stackalloc byte[256];
        return Statx((int)handle.DangerousGetHandle(), string.Empty, 0x1000, 1, buffer) == 0 && (*(ushort*)(buffer + 28) & S_IFMT) == S_IFREG;
    }

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

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long Openat2(long number, nint dirfd, string path, ref OpenHow how, nuint size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    // On Linux a SafeFileHandle is invalid exactly when the descriptor is negative, i.e. the call failed.
    private static SafeFileHandle Wrap(int fd) => new(fd, ownsHandle: true);
}
