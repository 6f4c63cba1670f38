using Sandrun.AspNetCore.Api;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore;

/// <summary>
/// POST /submit's form and refusals for other front doors that take the same submissions (the broker): the same
/// multipart reading and caps, and the same SPEC.md §2 JSON errors.
/// </summary>
public static class SandrunSubmissionForm
{
    /// <summary>
    /// Reads the multipart <c>files</c> parts (at most <paramref name="maxBytes"/> together) and the optional
    /// <c>manifest</c> part, in memory; a malformed or oversized form throws <see cref="SubmitException"/>.
    /// </summary>
    public static async Task<(IReadOnlyList<UploadPart> Parts, string? Manifest)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (parts, manifest) = await MultipartUpload.ReadAsync(request, maxBytes, cancellationToken).ConfigureAwait(false);
        return (parts, manifest);
    }

    /// <summary>The HTTP answer to a refused submission: 400 naming the field or entry, 413, 429 or 503.</summary>
    public static IResult Refuse(SubmitException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return Refusals.Answer(refusal);
    }

    /// <summary>A SPEC.md §2 JSON error <c>{"error","details"}</c> with <paramref name="status"/>.</summary>
    public static IResult Error(int status, string error, string details) => ApiJson.Error(status, error, details);
}
