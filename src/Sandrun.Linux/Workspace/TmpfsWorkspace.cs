using System.Globalization;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Workspace;

/// <summary>
/// A job workspace: a size- and inode-capped tmpfs mounted on the host (nosuid, nodev), owned by the job's
/// host uid so the sandboxed program can write it. Disposing unmounts it (lazily) and removes the directory.
/// </summary>
public sealed class TmpfsWorkspace : IDisposable
{
    private const ulong MS_NOSUID = 2, MS_NODEV = 4;
    private bool disposed;

    private TmpfsWorkspace(string path) => Path = path;

    /// <summary>Host path of the workspace.</summary>
    public string Path { get; }

    /// <summary>Creates and mounts a workspace at <paramref name="path"/> (the directory must not exist).</summary>
    public static TmpfsWorkspace Create(string path, long sizeBytes, uint ownerUid, uint ownerGid)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (System.IO.Directory.Exists(path) || File.Exists(path))
        {
            throw new IOException($"workspace {path} already exists");
        }

        System.IO.Directory.CreateDirectory(path);
        var inodes = Math.Max(1024, sizeBytes / 4096);
        var data = string.Create(CultureInfo.InvariantCulture, $"size={sizeBytes},nr_inodes={inodes},mode=0700,uid={ownerUid},gid={ownerGid}");
        if (Libc.Mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, data) != 0)
        {
            var error = Libc.Error($"mount tmpfs on {path}");
            System.IO.Directory.Delete(path);
            throw error;
        }

        return new TmpfsWorkspace(path);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (Libc.Umount2(Path, Libc.MNT_DETACH) != 0 && Libc.LastErrno != Libc.EINVAL)
        {
            throw Libc.Error($"unmount workspace {Path}");
        }

        System.IO.Directory.Delete(Path);
    }
}
