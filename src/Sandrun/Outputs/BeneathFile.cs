using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sandrun.Outputs;

/// <summary>
/// Opens files a job may have tampered with: relative to the workspace, refusing to leave it and refusing to
/// follow any symlink on the way (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).
/// </summary>
internal static partial class BeneathFile
{
    private const int O_RDONLY = 0, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_DIRECTORY = 0x10000, O_NONBLOCK = 0x800;
    private const ulong RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04, RESOLVE_BENEATH = 0x08;
    private static readonly long Openat2 = RuntimeInformation.ProcessArchitecture == Architecture.X64 || RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 437 : -1;

    /// <summary>Opens the workspace root itself (no symlink allowed there either).</summary>
    public static SafeFileHandle OpenRoot(string workspace)
    {
        var fd = Open(workspace, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        return fd >= 0 ? new SafeFileHandle(fd, true) : throw new IOException($"cannot open workspace: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Opens a regular file below <paramref name="root"/> for reading; null when it is missing, a symlink, outside, or not a regular file.</summary>
    public static SafeFileHandle? OpenRegularFile(SafeFileHandle root, string relativePath)
    {
        if (!IsPlainRelative(relativePath))
        {
            return null;
        }

        var how = new OpenHow { Flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, Resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        var fd = (int)Syscall(Openat2, root.DangerousGetHandle(), relativePath, ref how, (nuint)Marshal.SizeOf<OpenHow>());
        if (fd < 0)
        {
            return null;
        }

        var handle = new SafeFileHandle(fd, true);

        // FIFOs, devices and sockets are not outputs (and reading a FIFO could block forever).
        if (!IsRegular(handle))
        {
            handle.Dispose();
            return null;
        }

        return handle;
    }

    /// <summary>'/'-separated, relative, no empty, '.' or '..' segments.</summary>
    public static bool IsPlainRelative(string path) =>
        path.Length > 0 && !path.StartsWith('/') && !path.Contains('\0', StringComparison.Ordinal)
        && path.Split('/').All(s => s.Length > 0 && s != "." && s != "..");

    private static bool IsRegular(SafeFileHandle handle)
    {
        const int S_IFMT = 0xF000, S_IFREG = 0x8000;
        return Fstat(handle, out var mode) && (mode & S_IFMT) == S_IFREG;
    }

    private static unsafe bool Fstat(SafeFileHandle handle, out int mode)
    {
        // struct statx: stx_mode is a u16 at offset 28; STATX_TYPE = 1, AT_EMPTY_PATH = 0x1000.
        var buffer = stackalloc byte[256];
        var r = Statx((int)handle.DangerousGetHandle(), string.Empty, 0x1000, 1, buffer);
        mode = r == 0 ? *(ushort*)(buffer + 28) : 0;
        return r == 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long Syscall(long number, nint dirfd, string path, ref OpenHow how, nuint size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
