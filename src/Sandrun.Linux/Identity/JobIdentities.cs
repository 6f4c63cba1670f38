using System.Globalization;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Identity;

/// <summary>
/// Host uid/gid pairs for running jobs, one pair per concurrently running job. Per-user kernel budgets (pipe
/// buffers, inotify instances, pending signals, POSIX message queues, locked memory, processes) are counted per
/// host uid, and every charge made inside a user namespace also rolls up to the namespace's owner: with a pair of
/// its own — the owner and sandbox uid 0 (<see cref="JobIdentity.RootUid"/>), the payload's uid
/// (<see cref="JobIdentity.JobUid"/>) — one job can only exhaust its own budgets, never root's or another job's.
/// A pair is reused only after its job's every process is gone (the job's init has been reaped).
/// </summary>
internal sealed class JobIdentities(uint hostIdBase)
{
    /// <summary>Ids below the first pair: <c>HostIdBase</c> is unused, <c>HostIdBase + 1</c> owns prepared workspaces.</summary>
    private const uint FirstOffset = 2;
    private readonly Lock gate = new();
    private readonly Stack<uint> free = new();
    private uint next;

    /// <summary>Host uid that owns workspaces between runs (<see cref="LinuxSandbox.JobHostUid"/>).</summary>
    public uint WorkspaceOwner => hostIdBase + 1;

    /// <summary>A pair no other running job has; dispose it once the job's processes are all gone.</summary>
    public JobIdentity Take()
    {
        uint slot;
        lock (gate)
        {
            if (!free.TryPop(out slot))
            {
                slot = next++;
            }
        }

        var root = checked(hostIdBase + FirstOffset + (2 * slot));
        return new JobIdentity(this, slot, root, checked(root + 1));
    }

    internal void Return(uint slot)
    {
        lock (gate)
        {
            free.Push(slot);
        }
    }
}

/// <summary>One job's host identity: the user namespace owner and sandbox uid 0, and the payload's uid.</summary>
internal sealed class JobIdentity(JobIdentities owner, uint slot, uint rootUid, uint jobUid) : IDisposable
{
    private int disposed;

    /// <summary>Host uid (and gid) of sandbox uid 0: the user namespace's owner, setup and sandrun-init.</summary>
    public uint RootUid { get; } = rootUid;

    /// <summary>Host uid (and gid) of the payload (sandbox uid 65534).</summary>
    public uint JobUid { get; } = jobUid;

    /// <summary>The uid_map/gid_map text for the job's user namespace.</summary>
    public string IdMap(int insideJobId) => string.Create(CultureInfo.InvariantCulture, $"0 {RootUid} 1\n{insideJobId} {JobUid} 1\n");

    /// <summary>Writes the job's uid and gid maps (the child waits for them before it does anything).</summary>
    public void WriteMaps(int pid, int insideJobId)
    {
        var map = IdMap(insideJobId);
        Libc.WriteFile($"/proc/{pid}/uid_map", map);
        Libc.WriteFile($"/proc/{pid}/gid_map", map);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            owner.Return(slot);
        }
    }
}
