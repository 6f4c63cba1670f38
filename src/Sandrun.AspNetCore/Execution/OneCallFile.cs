namespace Sandrun.AspNetCore.Execution;

/// <summary>One file of a one-call request, decoded.</summary>
/// <param name="Name">Relative path in the job's directory.</param>
/// <param name="Content">The file's bytes.</param>
internal sealed record OneCallFile(string Name, byte[] Content);
