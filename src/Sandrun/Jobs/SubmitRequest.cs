using Sandrun.Intake;

namespace Sandrun.Jobs;

/// <summary>What a client submitted.</summary>
/// <param name="Client">Client key for quotas (the client IP).</param>
/// <param name="Parts">Uploaded files.</param>
/// <param name="ManifestJson">The manifest form field, or null (then <c>job.json</c> from the upload is used).</param>
public sealed record SubmitRequest(string Client, IReadOnlyList<UploadPart> Parts, string? ManifestJson);
