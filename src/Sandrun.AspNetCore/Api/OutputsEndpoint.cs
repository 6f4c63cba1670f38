using System.Globalization;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// GET /outputs/{id}: the job's output files with download URLs below the same prefix, listed twice: <c>outputs</c>
/// (SPEC.md §2) and <c>total_files</c>/<c>files</c> with the original server's field names.
/// </summary>
internal static class OutputsEndpoint
{
    public static IResult Get(HttpContext context, string jobId, JobEngine engine)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            return Downloads.NotFound(jobId);
        }

        var outputs = OutputLinks.For(job, OutputLinks.BasePath(context.Request, $"/outputs/{jobId}"));
        var files = outputs.Select(o => new OriginalFileListing(o.Path, o.SizeBytes, Formatted(o.SizeBytes), o.Type, o.MimeType, o.DownloadUrl)).ToList();
        return ApiJson.Ok(new OutputsResponse(job.Id, FailureNames.For(job.Status), outputs, job.Notes, files.Count, files), SandrunJsonContext.Default.OutputsResponse);
    }

    /// <summary>The original server's human-readable size: bytes below 1 KB, then one decimal of KB, MB or GB.</summary>
    internal static string Formatted(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:F1} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):F1} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):F1} GB"),
    };
}
