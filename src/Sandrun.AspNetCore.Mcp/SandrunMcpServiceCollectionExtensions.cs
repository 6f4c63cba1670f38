using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Sandrun.AspNetCore.Mcp;

namespace Sandrun.AspNetCore;

/// <summary>Registers Sandrun's MCP tools (execute_python, execute_code, read_output, …).</summary>
public static class SandrunMcpServiceCollectionExtensions
{
    /// <summary>The MCP endpoint's named CORS policy: allowed origins only (see <see cref="RebindingGuard"/>).</summary>
    internal const string CorsPolicy = "Sandrun.Mcp";

    /// <summary>
    /// Adds the MCP server and its tools with options bound from <c>Sandrun:Mcp</c> in <paramref name="configuration"/>,
    /// then <paramref name="configure"/>. See <see cref="AddSandrunMcp(IServiceCollection, Action{SandrunMcpOptions}?)"/>.
    /// </summary>
    public static IMcpServerBuilder AddSandrunMcp(this IServiceCollection services, IConfiguration configuration, Action<SandrunMcpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SandrunMcpOptions>().Bind(configuration.GetSection("Sandrun:Mcp"));
        return services.AddSandrunMcp(configure);
    }

    /// <summary>
    /// Adds the MCP server and its tools over the engine registered by <c>AddSandrun()</c>, with the Streamable HTTP
    /// transport (stateless) that <c>MapSandrunMcp()</c> maps (at <c>/mcp</c> by default) while
    /// <see cref="SandrunMcpOptions.Enabled"/>, and its CORS policy (allowed origins only).
    /// For a desktop client, add <c>.WithStdioServerTransport()</c> to the returned builder instead of mapping HTTP.
    /// Tool calls count against the same per-client quotas as <c>POST /submit</c>.
    /// </summary>
    public static IMcpServerBuilder AddSandrunMcp(this IServiceCollection services, Action<SandrunMcpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SandrunMcpOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandrunMcpOptions>, SandrunMcpOptionsValidator>());

        services.AddHttpContextAccessor();
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<SandrunMcpOptions>>((cors, mcp) =>
        {
            var guard = new RebindingGuard(mcp.Value);
            cors.AddPolicy(CorsPolicy, policy => policy
                .SetIsOriginAllowed(guard.IsAllowedOrigin)
                .WithMethods(HttpMethods.Get, HttpMethods.Post, HttpMethods.Delete)
                .AllowAnyHeader()
                .WithExposedHeaders("Mcp-Session-Id", "Mcp-Protocol-Version")
                .SetPreflightMaxAge(TimeSpan.FromDays(1)));
        });
        services.TryAddSingleton<McpCaller>();
        services.TryAddSingleton<SandrunTools>();
        services.TryAddSingleton<SandrunMcpMarker>();
        SandrunToolCatalog.Register(services);
        return services
            .AddMcpServer(o =>
            {
                o.ServerInfo = new Implementation
                {
                    Name = "sandrun",
                    Title = "Sandrun",
                    Version = typeof(SandrunMcpServiceCollectionExtensions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
                };
                o.ServerInstructions =
                    "Sandrun runs code in disposable Linux sandboxes: no network, no state between calls, strict CPU, memory and time limits. "
                    + "Use execute_python, execute_javascript or execute_bash for a snippet, execute_code for other languages, several files or arguments. "
                    + "Files the program writes to its current directory can be listed with list_outputs and read with read_output. "
                    + "Long jobs: pass wait=false and poll check_job_status.";
            })
            .WithRequestFilters(filters => filters.AddCallToolFilter(next => async (context, cancellationToken) =>
                context.MatchedPrimitive is McpServerTool tool && SandrunToolCatalog.Contains(tool.ProtocolTool.Name)
                    && ArgumentCheck.Problem(tool.ProtocolTool.Name, tool.ProtocolTool.InputSchema, context.Params?.Arguments) is { } problem
                    ? ToolResults.Error(problem)
                    : await next(context, cancellationToken).ConfigureAwait(false)))
            .WithHttpTransport(o => o.Stateless = true);
    }
}

/// <summary>Tells <c>MapSandrunMcp()</c> that <c>AddSandrunMcp()</c> was called.</summary>
internal sealed class SandrunMcpMarker;
