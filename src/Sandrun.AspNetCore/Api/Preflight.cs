namespace Sandrun.AspNetCore.Api;

/// <summary>Answers a CORS preflight (the caller decides which origin, if any, may proceed).</summary>
internal static class Preflight
{
    public static void Answer(HttpContext context, string methods, string defaultHeaders)
    {
        var headers = context.Response.Headers;
        headers.AccessControlAllowMethods = methods;
        headers.AccessControlAllowHeaders = context.Request.Headers.AccessControlRequestHeaders.Count > 0
            ? context.Request.Headers.AccessControlRequestHeaders.ToString()
            : defaultHeaders;
        headers.AccessControlMaxAge = "86400";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
