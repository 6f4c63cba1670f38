using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Workspace;

/// <summary>
/// Hands a workspace to the uid of the job about to run in it (each run has a host uid of its own, see
/// <see cref="Identity.JobIdentities"/>). Hand-written rather than Directory.EnumerateFileSystemEntries:
/// a previous run (e.g. the install step) may have left a tree deeper than PATH_MAX, names that are not
/// UTF-8, and symlinks, so the walk is fd-relative with raw names, never follows a symlink (O_NOFOLLOW,
/// AT_SYMLINK_NOFOLLOW) and keeps one directory fd open at a time, climbing back through "..". It runs only
/// while no process of any job can touch the workspace (before the run starts).
/// </summary>
internal static unsafe class WorkspaceOwnership
{
    private const int AT_SYMLINK_NOFOLLOW = 0x100, DT_DIR = 4, DT_UNKNOWN = 0;
    private const int ENOENT = 2, ENOTDIR = 20, ELOOP = 40;
    private static readonly byte[] Parent = "..\0"u8.ToArray();

    /// <summary>Changes the owner of the workspace and everything below it to <paramref name="uid"/>:<paramref name="gid"/>.</summary>
    public static void Transfer(string workspace, uint uid, uint gid)
    {
        var dir = Libc.Open(workspace, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (dir < 0)
        {
            throw Libc.Error($"open the workspace {workspace}");
        }

        try
        {
            Check(Libc.Fchown(dir, uid, gid), "chown the workspace");
            var above = new Stack<Queue<byte[]>>();
            var pending = ReadDirectory(dir, uid, gid);
            while (true)
            {
                if (pending.TryDequeue(out var name))
                {
                    var sub = OpenAt(dir, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
                    if (sub < 0)
                    {
                        // Not a directory after all (DT_UNKNOWN, or a symlink): change the entry itself.
                        var errno = Libc.LastErrno;
                        if (errno is not (ENOTDIR or ELOOP))
                        {
                            throw Libc.Error("open a workspace directory", errno);
                        }

                        ChownEntry(dir, name, uid, gid);
                        continue;
                    }

                    Libc.Close(dir);
                    dir = sub;
                    Check(Libc.Fchown(dir, uid, gid), "chown a workspace directory");
                    above.Push(pending);
                    pending = ReadDirectory(dir, uid, gid);
                }
                else if (above.TryPop(out var rest))
                {
                    var up = OpenAt(dir, Parent, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
                    if (up < 0)
                    {
                        throw Libc.Error("return to a workspace directory's parent");
                    }

                    Libc.Close(dir);
                    dir = up;
                    pending = rest;
                }
                else
                {
                    return;
                }
            }
        }
        finally
        {
            Libc.Close(dir);
        }
    }

    /// <summary>Changes every non-directory entry of <paramref name="dir"/>; returns the subdirectories' names (NUL-terminated).</summary>
    private static Queue<byte[]> ReadDirectory(int dir, uint uid, uint gid)
    {
        var subdirectories = new Queue<byte[]>();
        var buffer = new byte[32 * 1024];
        fixed (byte* b = buffer)
        {
            while (true)
            {
                var n = Libc.Syscall(Sys.Getdents64, dir, (long)b, buffer.Length, 0, 0, 0);
                if (n < 0)
                {
                    throw Libc.Error("read a workspace directory");
                }

                if (n == 0)
                {
                    return subdirectories;
                }

                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                for (long at = 0; at < n;)
                {
                    var reclen = *(ushort*)(b + at + 16);
                    var type = b[at + 18];
                    var nameStart = b + at + 19;
                    var length = new ReadOnlySpan<byte>(nameStart, reclen - 19).IndexOf((byte)0);
                    var name = new ReadOnlySpan<byte>(nameStart, length + 1);
                    at += reclen;
                    if (name.SequenceEqual(".\0"u8) || name.SequenceEqual("..\0"u8))
                    {
                        continue;
                    }

                    if (type is DT_DIR or DT_UNKNOWN)
                    {
                        subdirectories.Enqueue(name.ToArray());
                    }
                    else
                    {
                        ChownEntry(dir, name, uid, gid);
                    }
                }
            }
        }
    }

    private static void ChownEntry(int dir, ReadOnlySpan<byte> name, uint uid, uint gid)
    {
        fixed (byte* p = name)
        {
            if (Libc.Syscall(Sys.Fchownat, dir, (long)p, uid, gid, AT_SYMLINK_NOFOLLOW, 0) < 0 && Libc.LastErrno != ENOENT)
            {
                throw Libc.Error("chown a workspace entry");
            }
        }
    }

    private static int OpenAt(int dir, ReadOnlySpan<byte> name, int flags)
    {
        fixed (byte* p = name)
        {
            return (int)Libc.Syscall(Sys.Openat, dir, (long)p, flags, 0, 0, 0);
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw Libc.Error(what);
        }
    }
}
