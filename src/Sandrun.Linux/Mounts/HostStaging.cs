namespace Sandrun.Linux.Mounts;

/// <summary>
/// What the sandbox stages on the host once per instance for its jobs' filesystems: the /etc snapshot, the /dev
/// snapshot, the /proc masks, and the read-only views of the runtime.
/// </summary>
internal sealed class HostStaging : IDisposable
{
    private readonly EtcSnapshot etc;
    private readonly DevSnapshot dev;
    private int disposed;

    private HostStaging(EtcSnapshot etc, DevSnapshot dev, ProcMasks procMasks, RuntimeViews runtime)
    {
        this.etc = etc;
        this.dev = dev;
        ProcMasks = procMasks;
        Runtime = runtime;
    }

    /// <summary>The runtime (/usr, …) as staged read-only views.</summary>
    public RuntimeViews Runtime { get; }

    public string Dev => dev.Path;

    public ProcMasks ProcMasks { get; }

    /// <summary>The empty directory read-only overlays take as their second layer (overlayfs needs two without an upper one).</summary>
    public string EmptyLayer => ProcMasks.EmptyDirectory;

    public static HostStaging Create(LinuxSandboxOptions options)
    {
        EtcSnapshot? etc = null;
        DevSnapshot? dev = null;
        ProcMasks? masks = null;
        RuntimeViews? runtime = null;
        try
        {
            etc = EtcSnapshot.Create(options);
            dev = DevSnapshot.Create(options.StateDirectory);
            masks = ProcMasks.Create(options.StateDirectory);
            runtime = new RuntimeViews(MountPlan.RuntimeEntries(options), options.StateDirectory, masks.EmptyDirectory, options.RuntimeViewLifetime);
            return new HostStaging(etc, dev, masks, runtime);
        }
        catch
        {
            etc?.Dispose();
            dev?.Dispose();
            masks?.Dispose();
            runtime?.Dispose();
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

        Runtime.Dispose();
        etc.Dispose();
        dev.Dispose();
        ProcMasks.Dispose();
    }
}
