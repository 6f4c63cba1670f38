using System.Collections.Concurrent;
using Sandrun.Abstractions;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// The real workspace provider, noting where each job's workspace is: workspaces are not in the host's mount
/// table or state directory, so their paths cannot be derived from the job id.
/// </summary>
internal sealed class RecordingWorkspaces(IWorkspaceProvider inner) : IWorkspaceProvider
{
    public ConcurrentDictionary<string, string> Paths { get; } = new(StringComparer.Ordinal);

    public IWorkspace Create(string jobId, long sizeBytes)
    {
        var workspace = inner.Create(jobId, sizeBytes);
        Paths[jobId] = workspace.Path;
        return workspace;
    }
}
