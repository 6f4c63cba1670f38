namespace Sandrun.AspNetCore.Ui;

/// <summary>Maps Sandrun's web UI (SPEC.md §10): a page that submits jobs to the API it is mapped beside.</summary>
public static class SandrunUiEndpoints
{
    /// <summary>
    /// No inline script or style, nothing from another origin, no framing, no form posts elsewhere: the page only
    /// talks to its own server (HTTP and WebSocket), and job output is text, so a job's HTML cannot run here.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// Maps the UI at <paramref name="path"/> (default <c>/ui</c>) below <paramref name="endpoints"/>, which must be
    /// the group <c>MapSandrun()</c> returned: the page calls the API one level up from itself (<c>/ui/</c> → <c>/</c>,
    /// <c>/sandrun/ui/</c> → <c>/sandrun/</c>). Its files are embedded in this assembly; no CDN, no static-files
    /// middleware. <c>GET /ui</c> redirects to <c>/ui/</c> so that the page's relative URLs resolve.
    /// </summary>
    public static RouteGroupBuilder MapSandrunUi(this IEndpointRouteBuilder endpoints, string path = "/ui")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var trimmed = "/" + path.Trim('/');
        if (trimmed == "/")
        {
            throw new ArgumentException("the UI needs a path of its own (e.g. /ui): it calls the API one level above it", nameof(path));
        }

        var ui = endpoints.MapGroup(trimmed).ExcludeFromDescription();

        // Routing treats /ui and /ui/ alike; only the page's own address ends in a slash.
        ui.MapGet("/", (HttpContext context) => context.Request.Path.Value?.EndsWith('/') == true
            ? Serve(context, UiAssets.Index)
            : TypedResults.Redirect(context.Request.PathBase + context.Request.Path + "/" + context.Request.QueryString));
        ui.MapGet("/{file}", (HttpContext context, string file) => UiAssets.Find(file) is { } asset ? Serve(context, asset) : TypedResults.NotFound());
        return ui;
    }

    private static IResult Serve(HttpContext context, UiAsset asset)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        return context.Request.Headers.IfNoneMatch == asset.ETag
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Bytes(asset.Content, asset.ContentType);
    }
}
