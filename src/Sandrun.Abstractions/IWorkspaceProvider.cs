namespace Sandrun.Abstractions;

/// <summary>Creates per-job workspaces (size-capped, in RAM) that the sandbox mounts read-write.</summary>
public interface IWorkspaceProvider
{
    /// <summary>Creates an empty workspace for <paramref name="jobId"/>, capped at <paramref name="sizeBytes"/>.</summary>
    IWorkspace Create(string jobId, long sizeBytes);
}

/// <summary>A job's workspace. Disposing deletes it and everything in it.</summary>
public interface IWorkspace : IDisposable
{
    /// <summary>Host path of the workspace directory.</summary>
    string Path { get; }

    /// <summary>Host uid that files written for the job must belong to.</summary>
    uint OwnerUid { get; }

    /// <summary>Host gid that files written for the job must belong to.</summary>
    uint OwnerGid { get; }
}
