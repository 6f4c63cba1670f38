namespace Sandrun.Linux.Mounts;

/// <summary>
/// What the sandbox stages on the host once per instance for its jobs' filesystems: the /etc snapshot, the /dev
/// snapshot, the /proc masks, and the runtime entries.
/// </summary>
internal sealed class HostStaging : IDisposable
{
    private readonly EtcSnapshot etc;
    private readonly DevSnapshot dev;
    private int disposed;

    private HostStaging(LinuxSandboxOptions options, EtcSnapshot etc, DevSnapshot dev, ProcMasks procMasks)
    {
        this.etc = etc;
        this.dev = dev;
        ProcMasks = procMasks;
        Runtime = MountPlan.RuntimeEntries(options);
    }

    public IReadOnlyList<MountEntry> Runtime { get; }

    public string Dev => dev.Path;

    public ProcMasks ProcMasks { get; }

    /// <summary>The empty directory read-only overlays take as their second layer (overlayfs needs two without an upper one).</summary>
    public string EmptyLayer => ProcMasks.EmptyDirectory;

    public static HostStaging Create(LinuxSandboxOptions options)
    {
        EtcSnapshot? etc = null;
        DevSnapshot? dev = null;
        ProcMasks? masks = null;
        try
        {
            etc = EtcSnapshot.Create(options);
            dev = DevSnapshot.Create(options.StateDirectory);
            masks = ProcMasks.Create(options.StateDirectory);
            return new HostStaging(options, etc, dev, masks);
        }
        catch
        {
            etc?.Dispose();
            dev?.Dispose();
            masks?.Dispose();
            throw;
        }
    }

    /// <summary>The /etc to bind. It has an empty resolv.conf: no step resolves names itself (an install step's proxy does).</summary>
    public string Etc => etc.Path;

    public void Dispose()
    {
        // The sandbox may be disposed both by its owner and by the DI container.
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        etc.Dispose();
        dev.Dispose();
        ProcMasks.Dispose();
    }
}
