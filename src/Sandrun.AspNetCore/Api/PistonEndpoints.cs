using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.AspNetCore.Execution;
using Sandrun.Jobs;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// Piston v2 compatibility (SPEC.md §9): <c>GET /api/v2/runtimes</c> and <c>POST /api/v2/execute</c> with Piston's
/// request, response and error shapes, so Piston clients work unchanged. Jobs take the same path as <c>/submit</c>.
/// </summary>
internal static class PistonEndpoints
{
    public static async Task<IResult> RuntimesAsync(EngineEnvironment environment, RuntimeVersions runtimes) =>
        ApiJson.Ok(await RuntimesEndpoint.ListAsync(environment, runtimes).ConfigureAwait(false), SandrunJsonContext.Default.IReadOnlyListRuntimeEntry);

    public static async Task<IResult> ExecuteAsync(
        HttpContext context, JobEngine engine, SandrunClientAddress clients, IOptions<SandrunOptions> options, EngineEnvironment environment, RuntimeVersions runtimes)
    {
        var limits = options.Value.Limits;
        try
        {
            // Piston clients often send JSON without a JSON Content-Type (the npm piston-client sends text/plain): any is read as JSON.
            var body = await RequestBody.ReadAsync(context, ExecuteEndpoint.MaxBodyBytes(limits), context.RequestAborted).ConfigureAwait(false);
            var versions = await runtimes.GetAsync().ConfigureAwait(false);
            var request = PistonRequestReader.Read(body, Languages.Installed(environment.Interpreters), versions, limits);
            var (part, manifest) = OneCallSubmission.Build(request.Language, request.Files, request.Entrypoint, request.ManifestFields);
            var (id, job, finished) = await OneCallRunner.RunAsync(engine, clients.Resolve(context), part, manifest, null, context.RequestAborted).ConfigureAwait(false);
            if (job is null)
            {
                return Error(StatusCodes.Status404NotFound, $"job {id} finished and was deleted before its result could be read");
            }

            if (!finished)
            {
                return Error(StatusCodes.Status503ServiceUnavailable, $"job {id} is still {FailureNames.For(job.Status)} after its time limit and the grace for queueing; follow it at /status/{id}");
            }

            return ApiJson.Ok(For(job, request.Language, versions), SandrunJsonContext.Default.PistonExecuteResponse);
        }
        catch (OneCallRequestException e)
        {
            return Error(e.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, e.Problem.Length > 0 ? e.Problem : e.Message);
        }
        catch (SubmitException e)
        {
            var status = e.Kind switch
            {
                SubmitRefusal.QuotaExceeded => StatusCodes.Status429TooManyRequests,
                SubmitRefusal.QueueFull => StatusCodes.Status503ServiceUnavailable,
                SubmitRefusal.UploadTooLarge => StatusCodes.Status413PayloadTooLarge,
                _ => StatusCodes.Status400BadRequest,
            };
            if (e.RetryAfter is { } wait)
            {
                context.Response.Headers.RetryAfter = ((long)Math.Max(1, Math.Ceiling(wait.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
            }

            return Error(status, e.Details);
        }
    }

    private static PistonExecuteResponse For(Job job, Language language, IReadOnlyDictionary<string, string> versions)
    {
        var result = job.Result;
        var (all, stdout, stderr) = job.Log.Snapshot();
        var (status, message) = job.FailureReason switch
        {
            null => ((string?)null, (string?)null),
            FailureReason.ExitCode => ("RE", null),
            FailureReason.Signal => ("SG", null),
            FailureReason.Timeout => ("TO", "Timeout: the wall-clock limit was reached"),
            FailureReason.CpuLimit => ("TO", "Timeout: the CPU time limit was reached"),
            FailureReason.MemoryLimit => ("SG", "Memory limit exceeded"),
            FailureReason.OutputLimit => ("OL", "Output limit exceeded"),
            _ => ("XX", job.SetupError ?? "the sandbox could not run the program"),
        };
        return new PistonExecuteResponse(
            language.Name,
            versions.GetValueOrDefault(language.Interpreter, RuntimeVersions.Unknown),
            new PistonStage(
                Encoding.UTF8.GetString(stdout),
                Encoding.UTF8.GetString(stderr),
                Encoding.UTF8.GetString(all),
                result?.ExitCode,
                result?.Signal is { } signal ? SignalName(signal) : null,
                message,
                status,
                result is null ? null : (long)Math.Round(result.CpuTime.TotalMilliseconds),
                result is null ? null : FailureNames.WallMilliseconds(result.WallTime),
                result?.MemoryPeakBytes),
            job.Id);
    }

    private static IResult Error(int status, string message) => TypedResults.Json(new PistonError(message), SandrunJsonContext.Default.PistonError, statusCode: status);

    private static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => string.Create(CultureInfo.InvariantCulture, $"SIG{signal}"),
    };
}
