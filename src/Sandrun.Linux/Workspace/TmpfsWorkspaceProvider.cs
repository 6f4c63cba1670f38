using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Linux.Mounts;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Workspace;

/// <summary>
/// Workspaces as size-capped tmpfs mounts under <c>{StateDirectory}/jobs-{pid}-{n}/</c>, owned by the job's
/// host uid. Workspaces left by a server process that died are unmounted at startup; disposing the provider
/// unmounts whatever is still mounted.
/// </summary>
public sealed class TmpfsWorkspaceProvider : IWorkspaceProvider, IDisposable
{
    private readonly LinuxSandbox sandbox;
    private readonly string root;
    private readonly ConcurrentDictionary<string, TmpfsWorkspace> live = new(StringComparer.Ordinal);

    /// <summary>Creates the provider and removes stale workspaces of dead server processes.</summary>
    public TmpfsWorkspaceProvider(LinuxSandbox sandbox, IOptions<LinuxSandboxOptions> options)
    {
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

        root = StaleInstances.NewPath(state, "jobs");
    }

    /// <inheritdoc />
    public IWorkspace Create(string jobId, long sizeBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (jobId.Contains('/', StringComparison.Ordinal) || jobId.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException("invalid job id", nameof(jobId));
        }

        var workspace = TmpfsWorkspace.Create(Path.Combine(root, jobId), sizeBytes, sandbox.JobHostUid, sandbox.JobHostGid);
        live[workspace.Path] = workspace;
        return new Mounted(this, workspace);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var workspace in live.Values)
        {
            workspace.Dispose();
        }

        live.Clear();
        if (Directory.Exists(root) && Directory.GetFileSystemEntries(root).Length == 0)
        {
            Directory.Delete(root);
        }
    }

    private sealed class Mounted(TmpfsWorkspaceProvider owner, TmpfsWorkspace workspace) : IWorkspace
    {
        public string Path => workspace.Path;

        public uint OwnerUid => owner.sandbox.JobHostUid;

        public uint OwnerGid => owner.sandbox.JobHostGid;

        public void Dispose()
        {
            owner.live.TryRemove(workspace.Path, out _);
            workspace.Dispose();
        }
    }
}
