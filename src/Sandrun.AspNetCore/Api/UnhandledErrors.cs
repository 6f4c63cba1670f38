using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// An endpoint failure the handlers did not expect becomes SPEC.md's JSON error (500), never an empty body, and is
/// logged. Scoped to Sandrun's endpoints: the app's own error handling is left alone.
/// </summary>
internal static partial class UnhandledErrors
{
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!http.Response.HasStarted && !(e is OperationCanceledException && http.RequestAborted.IsCancellationRequested))
        {
            // The route pattern, not the path: paths carry the names of a job's files (SPEC.md §5: no job content in logs).
            LogUnhandled(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UnhandledErrors).FullName!), http.GetEndpoint()?.DisplayName, e);
            return ApiJson.Error(StatusCodes.Status500InternalServerError, "internal error", "the server failed while handling this request; the cause is in its log");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Sandrun: unhandled error in {Endpoint}")]
    private static partial void LogUnhandled(ILogger logger, string? endpoint, Exception exception);
}
