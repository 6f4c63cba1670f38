using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /outputs/{job_id}</c>: the job's output files with their download URLs.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Status">The job's status.</param>
/// <param name="Outputs">The files matched by the manifest's <c>outputs</c> globs (default: created or changed by the job).</param>
/// <param name="Notes">The server's remarks, e.g. files that could not be listed as outputs.</param>
/// <param name="TotalFiles">How many files <c>files</c> lists (the original server's field).</param>
/// <param name="Files">The same files in the original server's shape, for its clients.</param>
public sealed record OutputsResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("outputs")] IReadOnlyList<OutputListing> Outputs,
    [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes,
    [property: JsonPropertyName("total_files")] int TotalFiles,
    [property: JsonPropertyName("files")] IReadOnlyList<OriginalFileListing> Files);

/// <summary>One output file with the original server's field names.</summary>
/// <param name="Name">Path relative to the job's directory (what <c>/download/{job_id}/{name}</c> takes).</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="SizeFormatted">Size for people: <c>512 B</c>, <c>1.5 KB</c>, <c>2.0 MB</c> (1024-based).</param>
/// <param name="Type">Always <c>file</c>.</param>
/// <param name="MimeType">Content type guessed from the extension.</param>
/// <param name="DownloadUrl">Path of <c>GET /download/{job_id}/{path}</c> for this file.</param>
public sealed record OriginalFileListing(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("size_formatted")] string SizeFormatted,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("mime_type")] string MimeType,
    [property: JsonPropertyName("download_url")] string DownloadUrl);

/// <summary>One output file and where to download it.</summary>
/// <param name="Path">Path relative to the job's directory.</param>
/// <param name="SizeBytes">Size.</param>
/// <param name="Sha256Hash">Lowercase hex SHA-256 of the content.</param>
/// <param name="Type">Always <c>file</c>.</param>
/// <param name="MimeType">Content type guessed from the extension.</param>
/// <param name="DownloadUrl">Path of <c>GET /download/{job_id}/{path}</c> for this file.</param>
public sealed record OutputListing(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size_bytes")] long SizeBytes,
    [property: JsonPropertyName("sha256_hash")] string Sha256Hash,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("mime_type")] string MimeType,
    [property: JsonPropertyName("download_url")] string DownloadUrl);
