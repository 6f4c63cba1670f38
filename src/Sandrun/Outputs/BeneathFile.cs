using Microsoft.Win32.SafeHandles;
using Sandrun.Native;

namespace Sandrun.Outputs;

/// <summary>
/// Opens files a job may have tampered with: relative to the workspace, refusing to leave it and refusing to
/// follow any symlink on the way (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS).
/// Hosts read a job's outputs (<see cref="Jobs.Job.Outputs"/>, below <see cref="Jobs.Job.Workspace"/>) only through it.
/// </summary>
public static class BeneathFile
{
    /// <summary>Opens the workspace root itself (no symlink allowed there either).</summary>
    public static SafeFileHandle OpenRoot(string workspace)
    {
        var handle = Posix.Open(workspace, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC);
        return handle.IsInvalid ? throw Posix.Error("cannot open workspace") : handle;
    }

    /// <summary>
    /// <see cref="OpenRegularFile(SafeFileHandle, string)"/> for one file of the workspace at <paramref name="workspace"/>
    /// (the root is opened and closed around it).
    /// </summary>
    public static SafeFileHandle? OpenRegularFile(string workspace, string relativePath)
    {
        using var root = OpenRoot(workspace);
        return OpenRegularFile(root, relativePath);
    }

    /// <summary>Opens a regular file below <paramref name="root"/> for reading; null when it is missing, a symlink, outside, or not a regular file.</summary>
    public static SafeFileHandle? OpenRegularFile(SafeFileHandle root, string relativePath)
    {
        if (!IsPlainRelative(relativePath))
        {
            return null;
        }

        var handle = Posix.OpenAt2(root, relativePath, Posix.O_RDONLY | Posix.O_CLOEXEC | Posix.O_NOFOLLOW | Posix.O_NONBLOCK,
            Posix.RESOLVE_BENEATH | Posix.RESOLVE_NO_SYMLINKS | Posix.RESOLVE_NO_MAGICLINKS);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            return null;
        }

        // FIFOs, devices and sockets are not outputs (and reading a FIFO could block forever).
        if (Posix.Status(handle) is not { IsRegularFile: true })
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
}
