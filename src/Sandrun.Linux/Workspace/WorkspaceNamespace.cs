using System.Runtime.InteropServices;
using System.Text;
using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Workspace;

/// <summary>
/// A mount namespace of the server's own that holds the workspaces, so that they never enter the host's mount
/// table: every sandbox's new mount namespace is a copy of the host's, and thousands of retained workspaces
/// there made each spawn pay for copying them. The namespace's root is a small tmpfs (nothing of the host is
/// pinned by it); the server reaches a workspace by path through <c>/proc/self/fd/{root fd}/{name}</c>, a name
/// that no other workspace ever takes (unlike a bare fd number, which the kernel reuses). The server holds no fd
/// per workspace either: every spawn copies the fd table, and thousands of them cost as much as the mounts did.
/// </summary>
/// <remarks>
/// Only a thread inside a namespace may attach, copy or detach mounts there, so one dedicated thread lives in it
/// and runs those operations for everyone. It runs nothing but raw system calls through one P/Invoke that is
/// bound before it leaves the host's filesystem, and never throws: errnos go back to the caller. The namespace
/// dies with that thread (and so with the process: a killed server leaves nothing of it behind).
/// </remarks>
internal sealed unsafe class WorkspaceNamespace : IDisposable
{
    private const long CLONE_NEWNS = 0x20000, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REC = 16384, MS_PRIVATE = 1 << 18;
    private const long AT_FDCWD = -100, AT_REMOVEDIR = 0x200, MNT_DETACH = 2, MOVE_MOUNT_F_EMPTY_PATH = 4;
    private const long O_PATH = 0x200000, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, OPEN_TREE_CLONE = 1;

    private readonly Thread thread;
    private readonly Lock gate = new();
    private readonly SemaphoreSlim requested = new(0), done = new(0);
    private readonly byte[] anchor;
    private Operation operation;
    private int operationFd;
    private byte[] operationName = [];
    private long result;
    private int rootFd = -1;
    private bool disposed;

    private enum Operation
    {
        Attach,
        Copy,
        Detach,
        Stop,
    }

    /// <summary>Creates the namespace; its root tmpfs is first mounted (inside it only) on <paramref name="anchorDirectory"/>.</summary>
    public WorkspaceNamespace(string anchorDirectory)
    {
        anchor = Encoding.UTF8.GetBytes(anchorDirectory + "\0");

        // Bound here: the thread may not load anything once its root is the namespace's empty tmpfs.
        _ = Libc.Syscall(Sys.Getpid, 0, 0, 0, 0, 0, 0);
        thread = new Thread(Serve) { IsBackground = true, Name = "sandrun workspaces" };
        thread.Start();
        done.Wait();
        if (result != 0)
        {
            thread.Join();
            throw Libc.Error("set up the workspace mount namespace", (int)-result);
        }
    }

    /// <summary>The host path of the workspace attached as <paramref name="name"/>.</summary>
    public string PathOf(string name) => FormattableString.Invariant($"/proc/self/fd/{rootFd}/{name}");

    /// <summary>Attaches the detached mount <paramref name="mountFd"/> as <paramref name="name"/> (a new directory).</summary>
    public void Attach(int mountFd, string name) => Check(Run(Operation.Attach, mountFd, name), $"attach workspace {name}");

    /// <summary>A detached copy (close-on-exec fd) of the workspace <paramref name="name"/>, for a sandbox to move into its own namespace.</summary>
    public int Copy(string name) => (int)Check(Run(Operation.Copy, -1, name), $"copy the mount of workspace {name}");

    /// <summary>Unmounts the workspace <paramref name="name"/> and removes its directory.</summary>
    public void Detach(string name) => Check(Run(Operation.Detach, -1, name), $"detach workspace {name}");

    /// <summary>Ends the thread, and with it the namespace and whatever is still attached there.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
        }

        Run(Operation.Stop, -1, string.Empty);
        thread.Join();
        Libc.CloseQuietly(ref rootFd);
    }

    private long Run(Operation op, int fd, string name)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed && op != Operation.Stop, this);
            operation = op;
            operationFd = fd;
            operationName = Encoding.UTF8.GetBytes(name + "\0");
            requested.Release();
            done.Wait();
            return result;
        }
    }

    /// <summary>Results are ≥ 0, or a negated errno.</summary>
    private static long Check(long result, string what) => result >= 0 ? result : throw Libc.Error(what, (int)-result);

    private void Serve()
    {
        result = Enter();
        done.Release();
        if (result != 0)
        {
            return;
        }

        while (true)
        {
            requested.Wait();
            result = operation switch
            {
                Operation.Attach => AttachHere(),
                Operation.Copy => CopyHere(),
                Operation.Detach => DetachHere(),
                _ => 0,
            };
            var stop = operation == Operation.Stop;
            done.Release();
            if (stop)
            {
                return;
            }
        }
    }

    /// <summary>Leaves the host's mount namespace for a private copy, and swaps that copy for one empty tmpfs.</summary>
    private long Enter()
    {
        var tmpfs = "tmpfs\0"u8;
        var options = "mode=0700\0"u8;
        var slash = "/\0"u8;
        var dot = ".\0"u8;
        fixed (byte* at = anchor, fs = tmpfs, data = options, root = slash, here = dot)
        {
            long r;
            if ((r = Call(Sys.Unshare, CLONE_NEWNS)) < 0
                || (r = Call(Sys.Mount, 0, (long)root, 0, MS_REC | MS_PRIVATE, 0)) < 0
                || (r = Call(Sys.Mount, (long)fs, (long)at, (long)fs, MS_NOSUID | MS_NODEV | MS_NOEXEC, (long)data)) < 0
                || (r = Call(Sys.Chdir, (long)at)) < 0
                || (r = Call(Sys.PivotRoot, (long)here, (long)here)) < 0
                || (r = Call(Sys.Umount2, (long)here, MNT_DETACH)) < 0
                || (r = Call(Sys.Chdir, (long)root)) < 0
                || (r = Call(Sys.Openat, AT_FDCWD, (long)root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
            {
                return -Marshal.GetLastPInvokeError();
            }

            rootFd = (int)r;
            return 0;
        }
    }

    private long AttachHere()
    {
        var empty = "\0"u8;
        fixed (byte* name = operationName, none = empty)
        {
            if (Call(Sys.Mkdirat, AT_FDCWD, (long)name, 0x1c0 /* 0700 */) < 0)
            {
                return -Marshal.GetLastPInvokeError();
            }

            if (Call(Sys.MoveMount, operationFd, (long)none, AT_FDCWD, (long)name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                Call(Sys.Unlinkat, AT_FDCWD, (long)name, AT_REMOVEDIR);
                return -errno;
            }

            return 0;
        }
    }

    private long CopyHere()
    {
        fixed (byte* name = operationName)
        {
            var fd = Call(Sys.OpenTree, AT_FDCWD, (long)name, OPEN_TREE_CLONE | O_CLOEXEC);
            return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
        }
    }

    private long DetachHere()
    {
        fixed (byte* name = operationName)
        {
            return Call(Sys.Umount2, (long)name, MNT_DETACH) < 0 || Call(Sys.Unlinkat, AT_FDCWD, (long)name, AT_REMOVEDIR) < 0
                ? -Marshal.GetLastPInvokeError()
                : 0;
        }
    }

    private static long Call(long nr, long a0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0) => Libc.Syscall(nr, a0, a1, a2, a3, a4, 0);
}
