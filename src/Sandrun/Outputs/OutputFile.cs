namespace Sandrun.Outputs;

/// <summary>One output file of a finished job (SPEC.md <c>output_files</c>).</summary>
/// <param name="Path">'/'-separated path relative to the workspace.</param>
/// <param name="SizeBytes">Size.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the content.</param>
/// <param name="MimeType">Content type guessed from the extension.</param>
public sealed record OutputFile(string Path, long SizeBytes, string Sha256, string MimeType)
{
    /// <summary>Always "file" (directories are not listed; symlinks and special files are never outputs).</summary>
    public string Type => "file";
}
