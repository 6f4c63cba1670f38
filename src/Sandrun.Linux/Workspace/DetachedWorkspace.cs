using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Workspace;

/// <summary>
/// A job workspace that never enters the host's mount table: a size- and inode-capped tmpfs (nosuid, nodev)
/// owned by the job's host uid, made with fsopen/fsmount and held as a detached mount. The server reaches it
/// by path in the <see cref="WorkspaceNamespace"/>; each sandbox gets a fresh copy of the mount
/// (<see cref="CloneTree"/>) that it moves into its own namespace. Disposing detaches it everywhere the server
/// holds it; its memory is freed when the last sandbox that still holds a copy is gone.
/// </summary>
internal sealed unsafe class DetachedWorkspace : IDisposable
{
    private const long FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    private const long MOUNT_ATTR_NOSUID = 2, MOUNT_ATTR_NODEV = 4;
    private const long OPEN_TREE_CLONE = 1, AT_EMPTY_PATH = 0x1000, O_CLOEXEC = 0x80000;

    private readonly WorkspaceNamespace space;
    private readonly string name;
    private readonly SafeFileHandle mount;
    private int disposed;

    private DetachedWorkspace(WorkspaceNamespace space, string name, SafeFileHandle mount)
    {
        this.space = space;
        this.name = name;
        this.mount = mount;
        Path = space.PathOf(name);
    }

    /// <summary>Host path of the workspace (inside the workspace namespace).</summary>
    public string Path { get; }

    /// <summary>Creates the tmpfs and attaches it in <paramref name="space"/> as <paramref name="name"/>.</summary>
    public static DetachedWorkspace Create(WorkspaceNamespace space, string name, long sizeBytes, uint ownerUid, uint ownerGid)
    {
        var mount = new SafeFileHandle(MountTmpfs(sizeBytes, ownerUid, ownerGid), ownsHandle: true);
        try
        {
            var copy = (int)OpenTree((int)mount.DangerousGetHandle());
            if (copy < 0)
            {
                throw Libc.Error("copy the workspace mount");
            }

            try
            {
                space.Attach(copy, name);
            }
            finally
            {
                Libc.Close(copy);
            }

            return new DetachedWorkspace(space, name, mount);
        }
        catch
        {
            mount.Dispose();
            throw;
        }
    }

    /// <summary>A detached copy of the mount (close-on-exec) for one sandbox to move into its namespace; the caller closes it.</summary>
    public int CloneTree()
    {
        var added = false;
        mount.DangerousAddRef(ref added);
        try
        {
            return (int)OpenTree((int)mount.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                mount.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        try
        {
            space.Detach(name);
        }
        finally
        {
            mount.Dispose();
        }
    }

    private static long OpenTree(int fd)
    {
        var empty = "\0"u8;
        fixed (byte* none = empty)
        {
            return Libc.Syscall(Sys.OpenTree, fd, (long)none, OPEN_TREE_CLONE | AT_EMPTY_PATH | O_CLOEXEC, 0, 0, 0);
        }
    }

    private static int MountTmpfs(long sizeBytes, uint uid, uint gid)
    {
        var context = (int)Call(Sys.Fsopen, "tmpfs", FSOPEN_CLOEXEC);
        if (context < 0)
        {
            throw Libc.Error("fsopen tmpfs");
        }

        try
        {
            var inodes = Math.Max(1024, sizeBytes / 4096);
            Set(context, "size", sizeBytes.ToString(CultureInfo.InvariantCulture));
            Set(context, "nr_inodes", inodes.ToString(CultureInfo.InvariantCulture));
            Set(context, "mode", "0700");
            Set(context, "uid", uid.ToString(CultureInfo.InvariantCulture));
            Set(context, "gid", gid.ToString(CultureInfo.InvariantCulture));
            if (Libc.Syscall(Sys.Fsconfig, context, FSCONFIG_CMD_CREATE, 0, 0, 0, 0) < 0)
            {
                throw Libc.Error("create the workspace tmpfs");
            }

            var mount = (int)Libc.Syscall(Sys.Fsmount, context, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, 0, 0);
            return mount >= 0 ? mount : throw Libc.Error("fsmount the workspace tmpfs");
        }
        finally
        {
            Libc.Close(context);
        }
    }

    private static void Set(int context, string key, string value)
    {
        var k = Encoding.ASCII.GetBytes(key + "\0");
        var v = Encoding.ASCII.GetBytes(value + "\0");
        fixed (byte* pk = k, pv = v)
        {
            if (Libc.Syscall(Sys.Fsconfig, context, FSCONFIG_SET_STRING, (long)pk, (long)pv, 0, 0) < 0)
            {
                throw Libc.Error($"set the workspace tmpfs option {key}={value}");
            }
        }
    }

    private static long Call(long nr, string text, long flags)
    {
        var bytes = Encoding.ASCII.GetBytes(text + "\0");
        fixed (byte* p = bytes)
        {
            return Libc.Syscall(nr, (long)p, flags, 0, 0, 0, 0);
        }
    }
}
