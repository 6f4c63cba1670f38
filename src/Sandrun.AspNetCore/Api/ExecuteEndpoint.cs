using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.AspNetCore.Execution;
using Sandrun.Jobs;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// POST /execute (SPEC.md §9): JSON in, the result out in one call — the same admission (quotas, limits, manifest
/// rules), sandbox and signed receipt as <c>/submit</c>; 200 when the job finished within the wait, 202 (same shape,
/// status <c>queued</c> or <c>running</c>) when the wait ended first.
/// </summary>
internal static class ExecuteEndpoint
{
    public static async Task<IResult> PostAsync(
        HttpContext context, JobEngine engine, SandrunClientAddress clients, IOptions<SandrunOptions> options, EngineEnvironment environment,
        RuntimeVersions runtimes, [FromServices] IResultSigner? signer)
    {
        var limits = options.Value.Limits;
        try
        {
            var body = await RequestBody.ReadAsync(context, MaxBodyBytes(limits), context.RequestAborted).ConfigureAwait(false);
            var versions = await runtimes.GetAsync().ConfigureAwait(false);
            var request = ExecuteRequestReader.Read(body, Languages.Installed(environment.Interpreters), versions, limits.MaxUploadBytes, MaxWaitSeconds(limits));
            var (part, manifest) = OneCallSubmission.Build(request.Language, request.Files, request.Entrypoint, request.ManifestFields);
            var (id, job, finished) = await OneCallRunner.RunAsync(engine, clients.Resolve(context), part, manifest, request.Wait, context.RequestAborted).ConfigureAwait(false);
            if (job is null)
            {
                return Downloads.NotFound(id);
            }

            var response = For(job, request.Language, versions, OutputLinks.BasePath(context.Request, "/execute"), signer);
            return ApiJson.Ok(response, SandrunJsonContext.Default.ExecuteResponse, finished ? StatusCodes.Status200OK : StatusCodes.Status202Accepted);
        }
        catch (OneCallRequestException e)
        {
            return ApiJson.Error(e.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, e.TooLarge ? "request too large" : "invalid request", e.Message);
        }
        catch (SubmitException e)
        {
            return Refusals.Answer(e);
        }
    }

    /// <summary>Base64 files take 4/3 of their bytes, plus room for stdin (up to 1 MiB, escaped) and the rest of the JSON.</summary>
    internal static long MaxBodyBytes(LimitOptions limits) => (limits.MaxUploadBytes * 4 / 3) + (8L << 20);

    /// <summary>The longest <c>wait</c> a request may ask for: the longest job plus the grace for queueing and setup.</summary>
    internal static int MaxWaitSeconds(LimitOptions limits) => limits.MaxTimeoutSeconds + (int)OneCallRunner.Grace.TotalSeconds;

    internal static ExecuteResponse For(Job job, Language language, IReadOnlyDictionary<string, string> versions, string basePath, IResultSigner? signer)
    {
        var result = job.Result;
        var (_, stdout, stderr) = job.Log.Snapshot();
        return new ExecuteResponse(
            job.Id,
            FailureNames.For(job.Status),
            language.Name,
            versions.GetValueOrDefault(language.Interpreter, RuntimeVersions.Unknown),
            result?.ExitCode,
            result?.Signal,
            FailureNames.For(job.FailureReason),
            Encoding.UTF8.GetString(stdout),
            Encoding.UTF8.GetString(stderr),
            job.Log.Truncated,
            result is null ? null : FailureNames.CpuSeconds(result.CpuTime),
            result?.MemoryPeakBytes,
            result is null ? null : FailureNames.WallMilliseconds(result.WallTime),
            OutputLinks.For(job, basePath),
            job.JobHash,
            WorkerMetadata.Of(job, signer) ?? WorkerMetadata.Unsigned,
            job.SetupError);
    }
}
