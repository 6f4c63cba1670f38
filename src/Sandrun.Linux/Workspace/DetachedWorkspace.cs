using System.Globalization;
using System.Text;
using Sandrun.Linux.Native;
using Sandrun.Linux.Syscalls;

namespace Sandrun.Linux.Workspace;

/// <summary>
/// A job workspace that never enters the host's mount table: a size- and inode-capped tmpfs (nosuid, nodev)
/// owned by the job's host uid, made with fsopen/fsmount and attached only in the <see cref="WorkspaceNamespace"/>,
/// where the server reaches it by path. Each sandbox gets a fresh copy of the mount (<see cref="CloneTree"/>)
/// that it moves into its own namespace. Disposing detaches it; its memory is freed when the last sandbox that
/// still holds a copy is gone.
/// </summary>
internal sealed unsafe class DetachedWorkspace : IDisposable
{
    private const long FSOPEN_CLOEXEC = 1, FSMOUNT_CLOEXEC = 1, FSCONFIG_SET_STRING = 1, FSCONFIG_CMD_CREATE = 6;
    private const long MOUNT_ATTR_NOSUID = 2, MOUNT_ATTR_NODEV = 4;

    private readonly WorkspaceNamespace space;
    private readonly string name;
    private int disposed;

    private DetachedWorkspace(WorkspaceNamespace space, string name)
    {
        this.space = space;
        this.name = name;
        Path = space.PathOf(name);
    }

    /// <summary>Host path of the workspace (inside the workspace namespace).</summary>
    public string Path { get; }

    /// <summary>Creates the tmpfs and attaches it in <paramref name="space"/> as <paramref name="name"/>.</summary>
    public static DetachedWorkspace Create(WorkspaceNamespace space, string name, long sizeBytes, uint ownerUid, uint ownerGid)
    {
        var mount = MountTmpfs(sizeBytes, ownerUid, ownerGid);
        try
        {
            space.Attach(mount, name);
            return new DetachedWorkspace(space, name);
        }
        finally
        {
            Libc.Close(mount);
        }
    }

    /// <summary>A detached copy of the mount (close-on-exec fd) for one sandbox to move into its namespace; the caller closes it.</summary>
    public int CloneTree() => space.Copy(name);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            space.Detach(name);
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
