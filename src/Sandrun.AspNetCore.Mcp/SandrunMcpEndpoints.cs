using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore.Mcp;

namespace Sandrun.AspNetCore;

/// <summary>Maps Sandrun's MCP endpoint (Streamable HTTP) behind the DNS rebinding guard, with CORS only for allowed origins.</summary>
public static partial class SandrunMcpEndpoints
{
    /// <summary>
    /// Maps the MCP endpoint at <see cref="SandrunMcpOptions.Path"/> (default <c>/mcp</c>) below <paramref name="endpoints"/>,
    /// normally the group <c>MapSandrun()</c> returns, so the group's conventions (<c>RequireHost</c>,
    /// <c>RequireAuthorization</c>, rate limiting, …) reach the endpoint that runs code: <c>app.MapSandrun().MapSandrunMcp()</c>.
    /// The <c>Host</c> and <c>Origin</c> headers are checked against <c>Sandrun:Mcp:AllowedHosts</c>/<c>AllowedOrigins</c>
    /// (403 otherwise) and CORS answers allowed origins only, never <c>*</c>. Needs <c>AddSandrunMcp()</c> and
    /// <c>AddSandrunApi()</c>; maps nothing while <see cref="SandrunMcpOptions.Enabled"/> is false.
    /// Returns the MCP endpoint's own group, for conventions that apply to it alone.
    /// </summary>
    public static RouteGroupBuilder MapSandrunMcp(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        var registered = services.GetRequiredService<IServiceProviderIsService>();
        if (!registered.IsService(typeof(SandrunMcpMarker)) || !registered.IsService(typeof(SandrunClientAddress)))
        {
            throw new InvalidOperationException(
                "MapSandrunMcp() needs services that are not registered; before builder.Build(), add builder.Services.AddSandrunMcp(builder.Configuration) "
                + "next to AddSandrun(...).UseLinuxSandbox(...) and AddSandrunApi(builder.Configuration).");
        }

        var options = services.GetRequiredService<IOptions<SandrunMcpOptions>>().Value;
        var group = endpoints.MapGroup("/" + options.Path.Trim('/'));
        if (!options.Enabled)
        {
            return group;
        }

        var guard = new RebindingGuard(options);
        if (guard.AnyHost)
        {
            LogAnyHost(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SandrunMcpEndpoints).FullName!));
        }

        // A tool call carries at most an upload's worth of code and files, plus JSON framing.
        var maxBody = services.GetRequiredService<IOptions<SandrunOptions>>().Value.Limits.MaxUploadBytes + (1 << 20);
        var tooLarge = $"request body too large: the limit is {maxBody} bytes (Sandrun:Limits:MaxUploadBytes plus 1 MiB)";
        // The endpoint is stateless: no server-to-client stream to GET and no session to DELETE. Streamable HTTP clients
        // read a 404 there as "session gone" and give up; 405 with Allow is the transport's answer for "not offered".
        group.MapMethods("", [HttpMethods.Get, HttpMethods.Delete], (HttpContext context) =>
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            return ErrorAsync(context, StatusCodes.Status405MethodNotAllowed,
                $"Method Not Allowed: this MCP endpoint is stateless, so {context.Request.Method} has nothing to open or end; send JSON-RPC messages with POST");
        }).RequireCors(SandrunMcpServiceCollectionExtensions.CorsPolicy).ExcludeFromDescription().Add(Guard);
        group.MapMcp().RequireCors(SandrunMcpServiceCollectionExtensions.CorsPolicy).Add(builder =>
        {
            var inner = builder.RequestDelegate!;
            builder.RequestDelegate = async context =>
            {
                if (guard.Refusal(context.Request) is { } reason)
                {
                    await ErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: " + reason).ConfigureAwait(false);
                    return;
                }

                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                {
                    size.MaxRequestBodySize = maxBody;
                }

                if (context.Request.ContentLength > maxBody)
                {
                    await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, tooLarge).ConfigureAwait(false);
                    return;
                }

                try
                {
                    await inner(context).ConfigureAwait(false);
                }
                catch (BadHttpRequestException e) when (!context.Response.HasStarted)
                {
                    // A body that turns out too large or malformed while streaming in.
                    await ErrorAsync(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? tooLarge : "bad request: " + e.Message).ConfigureAwait(false);
                }
            };
        });
        return group;

        void Guard(EndpointBuilder builder)
        {
            var inner = builder.RequestDelegate!;
            builder.RequestDelegate = context => guard.Refusal(context.Request) is { } reason
                ? ErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: " + reason)
                : inner(context);
        }
    }

    /// <summary>An HTTP error with a JSON-RPC error body, which MCP clients report as such.</summary>
    private static Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(
            new Dictionary<string, object?>
            {
                ["jsonrpc"] = "2.0",
                ["id"] = null,
                ["error"] = new Dictionary<string, object> { ["code"] = -32000, ["message"] = message },
            },
            McpJsonContext.Default.DictionaryStringObject));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandrun:Mcp:AllowedHosts is '*': the MCP endpoint accepts any Host header and is open to DNS rebinding from browsers")]
    private static partial void LogAnyHost(ILogger logger);
}
