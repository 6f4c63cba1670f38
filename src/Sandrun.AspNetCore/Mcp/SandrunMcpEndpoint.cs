using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore.Api;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>Maps the Streamable HTTP endpoint behind the DNS rebinding guard, with CORS only for allowed origins.</summary>
internal static partial class SandrunMcpEndpoint
{
    public static void Map(IEndpointRouteBuilder endpoints, string prefix)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<SandrunMcpOptions>>().Value;
        if (!options.Enabled)
        {
            return;
        }

        var guard = new RebindingGuard(options);
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SandrunMcpEndpoint).FullName!);
        if (guard.AnyHost)
        {
            LogAnyHost(logger);
        }

        // A tool call carries at most an upload's worth of code and files, plus JSON framing.
        var maxBody = endpoints.ServiceProvider.GetRequiredService<IOptions<SandrunOptions>>().Value.Limits.MaxUploadBytes + (1 << 20);
        var tooLarge = $"request body too large: the limit is {maxBody} bytes (Sandrun:Limits:MaxUploadBytes plus 1 MiB)";
        var pattern = prefix.TrimEnd('/') + "/" + options.Path.Trim('/');
        endpoints.MapMcp(pattern).Add(builder =>
        {
            var inner = builder.RequestDelegate!;
            builder.RequestDelegate = async context =>
            {
                if (guard.Refusal(context.Request) is { } reason)
                {
                    await ErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: " + reason).ConfigureAwait(false);
                    return;
                }

                AllowOrigin(context);
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
        endpoints.MapMethods(pattern, ["OPTIONS"], context =>
        {
            if (guard.Refusal(context.Request) is { } reason)
            {
                return ErrorAsync(context, StatusCodes.Status403Forbidden, "Forbidden: " + reason);
            }

            AllowOrigin(context);
            Preflight.Answer(context, "GET, POST, DELETE, OPTIONS", "Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID");
            return Task.CompletedTask;
        });
    }

    /// <summary>An HTTP error with a JSON-RPC error body, which MCP clients report as such.</summary>
    private static Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["jsonrpc"] = "2.0",
            ["id"] = null,
            ["error"] = new Dictionary<string, object> { ["code"] = -32000, ["message"] = message },
        }));
    }

    /// <summary>An origin that passed the guard may read the response (the REST API's <c>*</c> is not used here).</summary>
    private static void AllowOrigin(HttpContext context)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            context.Response.Headers.AccessControlAllowOrigin = origin;
            context.Response.Headers.AccessControlExposeHeaders = "Mcp-Session-Id, Mcp-Protocol-Version";
            context.Response.Headers.Vary = "Origin";
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandrun:Mcp:AllowedHosts is '*': the MCP endpoint accepts any Host header and is open to DNS rebinding from browsers")]
    private static partial void LogAnyHost(ILogger logger);
}
