using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Sandrun.Linux.Native;

/// <summary>
/// Parent-side libc bindings. Never used in a cloned child: the child runs only the spawn blob. Constants come from
/// Tmds.LibC, which ships one assembly per architecture (arm64's open flags differ from x86-64's), the same source
/// the engine's bindings use.
/// </summary>
internal static unsafe partial class Libc
{
    public static int O_RDONLY => LibC.O_RDONLY;

    public static int O_WRONLY => LibC.O_WRONLY;

    public static int O_CREAT => LibC.O_CREAT;

    public static int O_NONBLOCK => LibC.O_NONBLOCK;

    public static int O_DIRECTORY => LibC.O_DIRECTORY;

    public static int O_NOFOLLOW => LibC.O_NOFOLLOW;

    public static int O_CLOEXEC => LibC.O_CLOEXEC;

    public static int F_GETFL => LibC.F_GETFL;

    public static int F_SETFL => LibC.F_SETFL;

    public static int MNT_DETACH => LibC.MNT_DETACH;

    public static int SIGKILL => LibC.SIGKILL;

    public static uint MFD_CLOEXEC => LibC.MFD_CLOEXEC;

    // asm-generic errno and poll values, which x86-64 and arm64 share; constants so that callers can match them in
    // patterns and combine them in masks.
    public const int EINTR = 4, EAGAIN = 11, ECHILD = 10, ENOSYS = 38, EINVAL = 22, EPIPE = 32;
    public const short POLLIN = 1, POLLHUP = 0x10, POLLERR = 8;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenAt(int dirFd, string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "lseek", SetLastError = true)]
    public static partial long Lseek(int fd, long offset, int whence);

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string? source, string target, string? fsType, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int prot);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "mknod", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mknod(string path, int mode, ulong device);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mkdir(string path, int mode);

    [LibraryImport("libc", EntryPoint = "rmdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Rmdir(string path);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    public static partial int Unshare(int flags);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int Setns(int fd, int nsType);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    public static partial int Fchown(int fd, uint uid, uint gid);

    public static int LastErrno => Marshal.GetLastPInvokeError();

    public static string Describe(int errno) => $"{ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";

    public static ErrnoException Error(string what) => new(what, LastErrno);

    public static ErrnoException Error(string what, int errno) => new(what, errno);

    public static void CloseQuietly(ref int fd)
    {
        if (fd >= 0)
        {
            Close(fd);
            fd = -1;
        }
    }

    /// <summary>open_tree(2) relative to the cwd (e.g. with OPEN_TREE_CLONE: a detached copy of the mount at <paramref name="path"/>).</summary>
    public static int OpenTree(string path, uint flags)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            return (int)Syscall(Syscalls.SyscallTable.Current!["open_tree"], -100 /* AT_FDCWD */, (long)p, flags, 0, 0, 0);
        }
    }

    /// <summary>Writes all of <paramref name="data"/> to a file in one write (cgroupfs/procfs control files).</summary>
    /// <param name="path">The file.</param>
    /// <param name="data">ASCII text.</param>
    /// <param name="create">Create the file if missing. cgroupfs never lets anyone create files, so this only
    /// matters for plain directory trees standing in for it (tests, dry runs).</param>
    public static void WriteFile(string path, string data, bool create = false)
    {
        var fd = Open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0x1a4);
        if (fd < 0)
        {
            throw Error($"open {path}");
        }

        try
        {
            var bytes = System.Text.Encoding.ASCII.GetBytes(data);
            fixed (byte* p = bytes)
            {
                if (Write(fd, p, bytes.Length) != bytes.Length)
                {
                    throw Error($"write '{data.Trim()}' to {path}");
                }
            }
        }
        finally
        {
            Close(fd);
        }
    }

    private static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM", 2 => "ENOENT", 3 => "ESRCH", 4 => "EINTR", 5 => "EIO", 9 => "EBADF", 10 => "ECHILD", 11 => "EAGAIN",
        12 => "ENOMEM", 13 => "EACCES", 14 => "EFAULT", 16 => "EBUSY", 17 => "EEXIST", 20 => "ENOTDIR", 21 => "EISDIR",
        22 => "EINVAL", 24 => "EMFILE", 28 => "ENOSPC", 30 => "EROFS", 32 => "EPIPE", 38 => "ENOSYS", 95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT", 7 => "E2BIG", 8 => "ENOEXEC", 19 => "ENODEV", 40 => "ELOOP", 36 => "ENAMETOOLONG",
        _ => $"errno {errno}",
    };
}

/// <summary>A failed system call, with its errno.</summary>
internal sealed class ErrnoException(string operation, int errno)
    : IOException($"{operation}: {Libc.Describe(errno)}")
{
    public int Errno { get; } = errno;
}
