using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Linux.Mounts;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Workspace;

/// <summary>
/// Workspaces as size-capped tmpfs mounts owned by the job's host uid, kept out of the host's mount table (see
/// <see cref="DetachedWorkspace"/> and <see cref="WorkspaceNamespace"/>): however many jobs are retained, a
/// new sandbox's copy of the host's mount table stays the same size. Nothing of them is on disk or in the host's
/// table, so a server that dies leaves nothing behind; directories of older servers, which mounted workspaces
/// under <c>{StateDirectory}/jobs-{pid}-{n}/</c>, are unmounted and removed at startup. Disposing the provider
/// removes whatever is still there.
/// </summary>
public sealed class TmpfsWorkspaceProvider : IWorkspaceProvider, IDisposable
{
    private readonly LinuxSandbox sandbox;
    private readonly WorkspaceNamespace space;
    private readonly ConcurrentDictionary<string, DetachedWorkspace> live = new(StringComparer.Ordinal);

    /// <summary>Creates the provider and removes stale workspaces of dead server processes.</summary>
    public TmpfsWorkspaceProvider(LinuxSandbox sandbox, IOptions<LinuxSandboxOptions> options)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        ArgumentNullException.ThrowIfNull(options);
        this.sandbox = sandbox;
        var state = options.Value.StateDirectory;
        foreach (var stale in StaleInstances.Find(state, "jobs"))
        {
            foreach (var workspace in Directory.GetDirectories(stale))
            {
                Libc.Umount2(workspace, Libc.MNT_DETACH);
                Directory.Delete(workspace);
            }

            Directory.Delete(stale);
        }

        Directory.CreateDirectory(state);
        space = new WorkspaceNamespace(state);
    }

    /// <inheritdoc />
    public IWorkspace Create(string jobId, long sizeBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (jobId.Contains('/', StringComparison.Ordinal) || jobId.Contains("..", StringComparison.Ordinal) || jobId.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("invalid job id", nameof(jobId));
        }

        var workspace = DetachedWorkspace.Create(space, jobId, sizeBytes, sandbox.JobHostUid, sandbox.JobHostGid);
        live[workspace.Path] = workspace;
        sandbox.AddWorkspace(workspace);
        return new Mounted(this, workspace);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var workspace in live.Values)
        {
            Remove(workspace);
        }

        space.Dispose();
    }

    private void Remove(DetachedWorkspace workspace)
    {
        sandbox.RemoveWorkspace(workspace);
        live.TryRemove(workspace.Path, out _);
        workspace.Dispose();
    }

    private sealed class Mounted(TmpfsWorkspaceProvider owner, DetachedWorkspace workspace) : IWorkspace
    {
        public string Path => workspace.Path;

        public uint OwnerUid => owner.sandbox.JobHostUid;

        public uint OwnerGid => owner.sandbox.JobHostGid;

        public void Dispose() => owner.Remove(workspace);
    }
}
