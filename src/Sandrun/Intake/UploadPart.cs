namespace Sandrun.Intake;

/// <summary>One uploaded file: a multipart <c>files</c> part of <c>POST /submit</c> (SPEC.md §2).</summary>
/// <param name="FileName">
/// The part's file name as the client sent it. A name ending in <c>.tar.gz</c>, <c>.tgz</c>, <c>.tar</c> or
/// <c>.zip</c> (any case) marks an archive to extract; any other part is stored under this name.
/// </param>
/// <param name="Content">The part's bytes. Read asynchronously and only once; the caller keeps ownership.</param>
public sealed record UploadPart(string FileName, Stream Content);
