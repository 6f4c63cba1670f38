using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary>The <c>multipart/form-data</c> body of <c>POST /submit</c> (described for OpenAPI; the server reads it as a stream).</summary>
/// <param name="Files">One or more files: <c>.tar.gz</c>, <c>.tgz</c>, <c>.tar</c> and <c>.zip</c> archives are extracted, anything else is stored under its name.</param>
/// <param name="Manifest">The job manifest as JSON text; without it, <c>job.json</c> from the upload is used.</param>
public sealed record SubmitForm(
    [property: JsonPropertyName("files")] IFormFileCollection Files,
    [property: JsonPropertyName("manifest")] string? Manifest = null);
