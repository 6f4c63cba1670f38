using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

        var pattern = prefix.TrimEnd('/') + "/" + options.Path.Trim('/');
        endpoints.MapMcp(pattern).Add(builder =>
        {
            var inner = builder.RequestDelegate!;
            builder.RequestDelegate = context =>
            {
                if (guard.Refusal(context.Request) is { } reason)
                {
                    return RebindingGuard.RefuseAsync(context, reason);
                }

                AllowOrigin(context);
                return inner(context);
            };
        });
        endpoints.MapMethods(pattern, ["OPTIONS"], context =>
        {
            if (guard.Refusal(context.Request) is { } reason)
            {
                return RebindingGuard.RefuseAsync(context, reason);
            }

            AllowOrigin(context);
            context.Response.Headers.AccessControlAllowMethods = "GET, POST, DELETE, OPTIONS";
            context.Response.Headers.AccessControlAllowHeaders = context.Request.Headers.AccessControlRequestHeaders.Count > 0
                ? context.Request.Headers.AccessControlRequestHeaders.ToString()
                : "Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID";
            context.Response.Headers.AccessControlMaxAge = "86400";
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
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
