using Sandrun.AspNetCore;

namespace Sandrun.Server;

/// <summary>
/// <c>mcp</c>: an MCP server on stdin/stdout for desktop clients that start their tools as processes. stdout carries
/// only JSON-RPC; the capability report and logs go to stderr.
/// </summary>
internal static class McpCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = HostArguments.Parse(args, listens: false);
        var (ok, signer) = await EngineSetup.PrepareAsync(arguments.KeyFile).ConfigureAwait(false);
        if (!ok)
        {
            return 1;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [.. arguments.Configuration], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        EngineSetup.AddEngine(builder.Services, builder.Configuration, signer);
        builder.Services.AddSandrunMcp(builder.Configuration).WithStdioServerTransport();
        using var host = builder.Build();
        EngineSetup.EnsureSandbox(host.Services, Console.Error);
        await host.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
