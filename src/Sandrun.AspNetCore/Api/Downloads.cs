using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Net.Http.Headers;
using Sandrun.Jobs;
using Sandrun.Outputs;

namespace Sandrun.AspNetCore.Api;

/// <summary>GET /download: one output file, or all outputs as <c>{id}.tar.gz</c> (the job is deleted after a complete transfer).</summary>
internal static class Downloads
{
    public static async Task<IResult> OneAsync(HttpContext context, JobEngine engine, string jobId, string path)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            return NotFound(jobId);
        }

        var output = job.Outputs.FirstOrDefault(o => o.Path == path);
        if (output is null)
        {
            return ApiJson.Error(404, "not found", $"'{Shorten(path)}' is not an output of this job");
        }

        using var handle = BeneathFile.OpenRegularFile(job.Workspace.Path, output.Path);
        if (handle is null)
        {
            return ApiJson.Error(404, "not found", $"'{Shorten(path)}' is no longer a regular file in the workspace");
        }

        context.Response.ContentType = output.MimeType;
        context.Response.ContentLength = output.SizeBytes;
        // A job names its files as it likes (newlines, control characters): SetHttpFileName keeps the header valid
        // (an ASCII stand-in plus the RFC 5987 filename*).
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(Path.GetFileName(output.Path));
        context.Response.Headers.ContentDisposition = disposition.ToString();
        await using var stream = new FileStream(handle, FileAccess.Read, 1);
        await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        return Results.Empty;
    }

    public static async Task<IResult> AllAsync(HttpContext context, JobEngine engine, string jobId)
    {
        if (!engine.TryGet(jobId, out var job))
        {
            return NotFound(jobId);
        }

        if (!job.IsFinished)
        {
            return ApiJson.Error(409, "job not finished", $"{jobId} is {FailureNames.For(job.Status)}; outputs are available when it has finished");
        }

        context.Response.ContentType = "application/gzip";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{jobId}.tar.gz\"";
        using (var root = BeneathFile.OpenRoot(job.Workspace.Path))
        {
            await using var gzip = new GZipStream(context.Response.Body, CompressionLevel.Fastest, leaveOpen: true);
            await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
            {
                foreach (var output in job.Outputs)
                {
                    using var handle = BeneathFile.OpenRegularFile(root, output.Path);
                    if (handle is null)
                    {
                        continue;
                    }

                    await using var data = new FileStream(handle, FileAccess.Read, 1);
                    var entry = new PaxTarEntry(TarEntryType.RegularFile, output.Path) { DataStream = data, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead };
                    await tar.WriteEntryAsync(entry, context.RequestAborted).ConfigureAwait(false);
                }
            }
        }

        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        await context.Response.CompleteAsync().ConfigureAwait(false);

        // Everything reached the client: the data has served its purpose (SPEC.md §5).
        engine.Delete(jobId);
        return Results.Empty;
    }

    public static IResult NotFound(string jobId) => ApiJson.Error(404, "job not found", $"no job '{Shorten(jobId)}' (unknown, or deleted after download or retention)");

    private static string Shorten(string s) => s.Length <= 128 ? s : s[..128] + "…";
}
