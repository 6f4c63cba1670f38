using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>A job's output files with their <c>/download</c> URLs below the API's base path.</summary>
internal static class OutputLinks
{
    /// <summary>The API's base path from a request to <paramref name="suffix"/> (e.g. <c>/outputs/{id}</c>): what precedes it.</summary>
    public static string BasePath(HttpRequest request, string suffix)
    {
        var path = request.Path.Value ?? string.Empty;
        return request.PathBase + (path.EndsWith(suffix, StringComparison.Ordinal) ? path[..^suffix.Length] : string.Empty);
    }

    public static List<OutputListing> For(Job job, string basePath) =>
    [
        .. job.Outputs.Select(o => new OutputListing(
            o.Path, o.SizeBytes, o.Sha256, o.Type, o.MimeType,
            $"{basePath}/download/{job.Id}/{string.Join('/', o.Path.Split('/').Select(Uri.EscapeDataString))}")),
    ];
}
