using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using Sandrun.AspNetCore.Contracts;

namespace Sandrun.AspNetCore.Api;

/// <summary>JSON answers of the API, serialized by <see cref="SandrunJsonContext"/> (field names exact, nulls written).</summary>
internal static class ApiJson
{
    public static IResult Ok<T>(T value, JsonTypeInfo<T> type) => TypedResults.Json(value, type);

    /// <summary>A JSON answer with a status other than 200 (e.g. 202 for a job still running).</summary>
    public static IResult Ok<T>(T value, JsonTypeInfo<T> type, int status) => TypedResults.Json(value, type, statusCode: status);

    /// <summary><c>{"error","details"}</c> (+ <c>retry_after</c> and a <c>Retry-After</c> header when given).</summary>
    public static IResult Error(int status, string error, string details, TimeSpan? retryAfter = null)
    {
        long? seconds = retryAfter is { } wait ? (long)Math.Max(1, Math.Ceiling(wait.TotalSeconds)) : null;
        var body = TypedResults.Json(new ErrorResponse(error, details, seconds), SandrunJsonContext.Default.ErrorResponse, statusCode: status);
        return seconds is { } s ? new WithRetryAfter(body, s) : body;
    }

    private sealed class WithRetryAfter(IResult inner, long seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
