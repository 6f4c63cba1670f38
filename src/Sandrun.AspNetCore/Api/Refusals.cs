using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Api;

/// <summary>The one table from the engine's refusals to HTTP answers (SPEC.md §2 status codes and error texts).</summary>
internal static class Refusals
{
    public static IResult Answer(SubmitException refusal) => Answer(refusal.Kind, refusal.Details, refusal.RetryAfter);

    public static IResult Answer(SubmitRefusal kind, string details, TimeSpan? retryAfter = null)
    {
        var (status, error) = kind switch
        {
            SubmitRefusal.InvalidUpload => (StatusCodes.Status400BadRequest, "invalid upload"),
            SubmitRefusal.UploadTooLarge => (StatusCodes.Status413PayloadTooLarge, "upload too large"),
            SubmitRefusal.InvalidManifest => (StatusCodes.Status400BadRequest, "invalid manifest"),
            SubmitRefusal.QuotaExceeded => (StatusCodes.Status429TooManyRequests, "quota exceeded"),
            SubmitRefusal.QueueFull => (StatusCodes.Status503ServiceUnavailable, "queue full"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        return ApiJson.Error(status, error, details, retryAfter);
    }
}
