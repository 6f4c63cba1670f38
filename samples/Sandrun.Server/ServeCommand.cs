using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore;

namespace Sandrun.Server;

/// <summary>The HTTP server (SPEC.md §1): <c>[--port N] [--host ADDR] [--urls URLS]</c> plus ASP.NET Core's own options.</summary>
internal static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var arguments = HostArguments.Parse(args, listens: true);
        var (ok, signer) = await EngineSetup.PrepareAsync(arguments.KeyFile).ConfigureAwait(false);
        if (!ok)
        {
            return 1;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. arguments.Configuration], ContentRootPath = AppContext.BaseDirectory });
        if (!arguments.UrlsGiven)
        {
            var host = arguments.Host;
            builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{arguments.Port}"));
        }

        EngineSetup.AddEngine(builder.Services, builder.Configuration, signer);
        builder.Services.AddSandrunMcp(builder.Configuration);
        await using var app = builder.Build();
        EngineSetup.EnsureSandbox(app.Services, Console.Out);

        app.UseWebSockets();
        app.MapSandrun();
        await app.StartAsync().ConfigureAwait(false);
        var mcp = app.Services.GetRequiredService<IOptions<Sandrun.AspNetCore.Mcp.SandrunMcpOptions>>().Value;
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            Console.WriteLine($"listening on {address}" + (mcp.Enabled ? $" (MCP: {address.TrimEnd('/')}/{mcp.Path.Trim('/')})" : ""));
        }

        var options = app.Services.GetRequiredService<IOptions<SandrunOptions>>().Value;
        Console.WriteLine(signer is null
            ? $"worker mode: anonymous (no worker key); {options.Workers} workers, queue capacity {options.QueueCapacity}"
            : $"worker mode: identified, Worker ID: {signer.WorkerId}; {options.Workers} workers, queue capacity {options.QueueCapacity}");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
