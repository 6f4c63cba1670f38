namespace Sandrun.Linux.Mounts;

/// <summary>
/// What the sandbox stages on the host once per instance for its jobs' filesystems: the /etc snapshots (the
/// jobs' one and the one with the host's resolvers for steps with network), the /dev snapshot, the /proc masks,
/// and the runtime entries.
/// </summary>
internal sealed class HostStaging : IDisposable
{
    private readonly EtcSnapshot etc;
    private readonly EtcSnapshot networkEtc;
    private readonly DevSnapshot dev;
    private int disposed;

    private HostStaging(LinuxSandboxOptions options, EtcSnapshot etc, EtcSnapshot networkEtc, DevSnapshot dev, ProcMasks procMasks)
    {
        this.etc = etc;
        this.networkEtc = networkEtc;
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
        EtcSnapshot? networkEtc = null;
        DevSnapshot? dev = null;
        ProcMasks? masks = null;
        try
        {
            etc = EtcSnapshot.Create(options, hostResolver: false);
            networkEtc = EtcSnapshot.Create(options, hostResolver: true);
            dev = DevSnapshot.Create(options.StateDirectory);
            masks = ProcMasks.Create(options.StateDirectory);
            return new HostStaging(options, etc, networkEtc, dev, masks);
        }
        catch
        {
            etc?.Dispose();
            networkEtc?.Dispose();
            dev?.Dispose();
            masks?.Dispose();
            throw;
        }
    }

    /// <summary>The /etc to bind: the jobs' one, or the one with the host's resolvers for steps with network.</summary>
    public string Etc(bool network) => network ? networkEtc.Path : etc.Path;

    public void Dispose()
    {
        // The sandbox may be disposed both by its owner and by the DI container.
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        etc.Dispose();
        networkEtc.Dispose();

        dev.Dispose();
        ProcMasks.Dispose();
    }
}
