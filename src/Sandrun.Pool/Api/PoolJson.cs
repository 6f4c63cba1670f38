using System.Globalization;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Pool.Workers;

namespace Sandrun.Pool.Api;

/// <summary>The pool's JSON answers: SPEC.md's errors, and JSON text passed on as is.</summary>
internal static class PoolJson
{
    public static IResult Error(int status, string error, string details, TimeSpan? retryAfter = null)
    {
        long? seconds = retryAfter is { } wait ? (long)Math.Max(1, Math.Ceiling(wait.TotalSeconds)) : null;
        var body = TypedResults.Json(new ErrorResponse(error, details, seconds), SandrunJsonContext.Default.ErrorResponse, statusCode: status);
        return seconds is { } s ? new WithRetryAfter(body, s.ToString(CultureInfo.InvariantCulture)) : body;
    }

    public static IResult Text(string json, int status = StatusCodes.Status200OK) => TypedResults.Text(json, "application/json; charset=utf-8", statusCode: status);

    /// <summary>A worker's answer passed on (status, body, Retry-After).</summary>
    public static IResult Relay(WorkerAnswer answer)
    {
        var body = TypedResults.Text(answer.Body, answer.ContentType ?? "application/json; charset=utf-8", statusCode: answer.StatusCode);
        return answer.RetryAfter is { } retry ? new WithRetryAfter(body, retry) : body;
    }

    private sealed class WithRetryAfter(IResult inner, string seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
