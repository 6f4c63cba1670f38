namespace Sandrun.Intake;

/// <summary>What an upload put into the workspace.</summary>
/// <param name="Files">
/// Every regular file in the workspace after intake: relative path ('/'-separated) to the lowercase hex SHA-256
/// of its content, in ordinal path order. Directories and symlinks are not listed.
/// </param>
/// <param name="TotalBytes">Sum of the sizes of the files in <paramref name="Files"/>.</param>
public sealed record IntakeResult(IReadOnlyDictionary<string, string> Files, long TotalBytes);
