using System.Text.Json.Serialization.Metadata;
using Sandrun.AspNetCore;
using Sandrun.Broker.Contracts;

namespace Sandrun.Broker.Api;

/// <summary>The broker's JSON answers; errors in SPEC.md §2's shape <c>{"error","details"}</c>.</summary>
internal static class BrokerJson
{
    public static IResult Ok<T>(T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK) => TypedResults.Json(value, type, statusCode: status);

    public static IResult Error(int status, string error, string details) => SandrunSubmissionForm.Error(status, error, details);

    public static IResult NotFound(string jobId) =>
        Error(StatusCodes.Status404NotFound, "job not found", $"no job '{Shorten(jobId)}' (unknown, or deleted after its retention)");

    public static string Shorten(string s) => s.Length <= 128 ? s : s[..128] + "…";

    /// <summary>Reads a JSON body of at most <paramref name="maxBytes"/>; a null value and the refusal when it is not one.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long maxBytes, bool optional = false)
        where T : class
    {
        if (request.ContentLength is > 0 && request.ContentLength > maxBytes)
        {
            return (null, Error(StatusCodes.Status413PayloadTooLarge, "request too large", $"the body is over {maxBytes} bytes"));
        }

        var body = new MemoryStream();
        var buffer = new byte[16384];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (body.Length + n > maxBytes)
            {
                return (null, Error(StatusCodes.Status413PayloadTooLarge, "request too large", $"the body is over {maxBytes} bytes"));
            }

            body.Write(buffer, 0, n);
        }

        if (body.Length == 0)
        {
            return optional ? (null, null) : (null, Error(StatusCodes.Status400BadRequest, "invalid request", "expected a JSON body"));
        }

        try
        {
            var value = System.Text.Json.JsonSerializer.Deserialize(body.GetBuffer().AsSpan(0, (int)body.Length), type);
            return value is null ? (null, Error(StatusCodes.Status400BadRequest, "invalid request", "expected a JSON object")) : (value, null);
        }
        catch (System.Text.Json.JsonException e)
        {
            return (null, Error(StatusCodes.Status400BadRequest, "invalid request", $"{e.Path ?? "body"}: {e.Message.Split('.')[0]}"));
        }
    }

    /// <summary>Source-generated metadata for the broker's wire types.</summary>
    public static BrokerJsonContext Types => BrokerJsonContext.Default;
}
