using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// Reads POST /submit's multipart body section by section, in memory (job data never touches the host's
/// disk), enforcing the upload cap while reading: <c>files</c> parts (one or more) and an optional
/// <c>manifest</c> text part.
/// </summary>
internal static class MultipartUpload
{
    private const int MaxManifestBytes = 8 << 20;

    public static async Task<(List<UploadPart> Parts, string? Manifest)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw new SubmitException(SubmitRefusal.InvalidUpload, "expected multipart/form-data with one or more 'files' parts");
        }

        var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        var parts = new List<UploadPart>();
        string? manifest = null;
        long total = 0;
        while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw new SubmitException(SubmitRefusal.InvalidUpload, "a multipart section lacks a form-data Content-Disposition");
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
            switch (name)
            {
                case "files":
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    if (string.IsNullOrEmpty(fileName))
                    {
                        throw new SubmitException(SubmitRefusal.InvalidUpload, "a 'files' part has no file name");
                    }

                    var buffer = new MemoryStream();
                    total += await CopyCappedAsync(section.Body, buffer, maxBytes - total, cancellationToken).ConfigureAwait(false);
                    buffer.Position = 0;
                    parts.Add(new UploadPart(fileName, buffer));
                    break;
                case "manifest":
                    if (manifest is not null)
                    {
                        throw new SubmitException(SubmitRefusal.InvalidUpload, "more than one 'manifest' part");
                    }

                    var text = new MemoryStream();
                    await CopyCappedAsync(section.Body, text, MaxManifestBytes, cancellationToken, "manifest larger than 8 MiB").ConfigureAwait(false);
                    manifest = Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
                    break;
                default:
                    throw new SubmitException(SubmitRefusal.InvalidUpload, $"unknown form field '{Truncate(name)}' (expected 'files' and 'manifest')");
            }
        }

        if (parts.Count == 0)
        {
            throw new SubmitException(SubmitRefusal.InvalidUpload, "no 'files' part");
        }

        return (parts, manifest);
    }

    private static async Task<long> CopyCappedAsync(Stream source, Stream target, long remaining, CancellationToken cancellationToken, string? overMessage = null)
    {
        var buffer = new byte[81920];
        long copied = 0;
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            copied += n;
            if (copied > remaining)
            {
                throw overMessage is null
                    ? new SubmitException(SubmitRefusal.UploadTooLarge, "the upload exceeds the server's limit")
                    : new SubmitException(SubmitRefusal.InvalidUpload, overMessage);
            }

            await target.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }

        return copied;
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
