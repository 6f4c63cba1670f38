using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Api;

/// <summary>JSON conventions of the API: snake_case names, nulls written (SPEC.md fields are always present).</summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static IResult Ok(object value) => Results.Json(value, Options);

    public static IResult Error(int status, string error, string details, TimeSpan? retryAfter = null) =>
        new ErrorResult(status, error, details, retryAfter);

    /// <summary>{"error","details"} (+ retry_after and a Retry-After header on 429).</summary>
    private sealed class ErrorResult(int status, string error, string details, TimeSpan? retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            if (retryAfter is { } wait)
            {
                var seconds = (long)Math.Max(1, Math.Ceiling(wait.TotalSeconds));
                httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return httpContext.Response.WriteAsJsonAsync(new RetryError(error, details, seconds), Options);
            }

            return httpContext.Response.WriteAsJsonAsync(new PlainError(error, details), Options);
        }
    }

    private sealed record PlainError(string Error, string Details);

    private sealed record RetryError(string Error, string Details, long RetryAfter);
}
