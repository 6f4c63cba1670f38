using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /outputs/{job_id}</c>: the job's output files with their download URLs.</summary>
/// <param name="JobId">The job's id.</param>
/// <param name="Status">The job's status.</param>
/// <param name="Outputs">The files matched by the manifest's <c>outputs</c> globs (default: created or changed by the job).</param>
/// <param name="Notes">The server's remarks, e.g. files that could not be listed as outputs.</param>
public sealed record OutputsResponse(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("outputs")] IReadOnlyList<OutputListing> Outputs,
    [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes);

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
