using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace Sandrun.Broker.Api;

/// <summary>
/// When the store cannot be reached (the database restarting, a full disk), the broker answers 503 in SPEC.md's JSON
/// error shape with a <c>Retry-After</c>, rather than an empty 500; clients and nodes retry.
/// </summary>
internal static partial class StoreFailures
{
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or TimeoutException && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            var logger = context.HttpContext.RequestServices.GetService(typeof(ILoggerFactory)) is ILoggerFactory loggers
                ? loggers.CreateLogger("Sandrun.Broker.Store") : null;
            if (logger is not null)
            {
                LogStoreFailed(logger, context.HttpContext.Request.Path.Value ?? "", e.GetType().Name, e.Message);
            }

            context.HttpContext.Response.Headers.RetryAfter = "5";
            return BrokerJson.Error(StatusCodes.Status503ServiceUnavailable, "store unavailable", "the broker's database did not answer; try again shortly");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Broker request {Path} failed on the store ({ExceptionType}: {Message})")]
    private static partial void LogStoreFailed(ILogger logger, string path, string exceptionType, string message);
}
