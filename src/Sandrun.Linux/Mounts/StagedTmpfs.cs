using Sandrun.Linux.Native;

namespace Sandrun.Linux.Mounts;

/// <summary>
/// Small host tmpfs mounts the sandbox stages files in (<c>{prefix}-{server pid}-{n}</c> under the state
/// directory). Each is a mount of its own with the source "tmpfs", so a job's bind of it shows the root "/"
/// in mountinfo: no host path, no server pid. Those left by dead servers are unmounted and removed first.
/// </summary>
internal static class StagedTmpfs
{
    public static string Mount(string stateDirectory, string prefix, ulong flags, string options)
    {
        foreach (var stale in StaleInstances.Find(stateDirectory, prefix))
        {
            Unmount(stale);
        }

        var path = StaleInstances.NewPath(stateDirectory, prefix);
        Directory.CreateDirectory(path);
        if (Libc.Mount("tmpfs", path, "tmpfs", flags, options) != 0)
        {
            var error = Libc.Error($"mount tmpfs on {path}");
            Directory.Delete(path);
            throw error;
        }

        return path;
    }

    /// <summary>Detaches the tmpfs (jobs' binds keep it alive as long as they need it) and removes the mount point.</summary>
    public static void Unmount(string path)
    {
        Libc.Umount2(path, Libc.MNT_DETACH);

        // Recursive: directories of older versions were plain directories, not mounts.
        Directory.Delete(path, recursive: true);
    }
}
