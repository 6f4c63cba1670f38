using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

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

        // The slim builder leaves out what this server does not use and loads at startup all the same: IIS integration,
        // HTTP/3 (QUIC), the Debug and EventSource loggers, hosting startup assemblies (about 8 assemblies, −4 MiB idle RSS).
        // HTTPS endpoints (--urls https://…, Kestrel:Endpoints with certificates) keep working.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [.. arguments.Configuration], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelHttpsConfiguration();
        if (!arguments.UrlsGiven)
        {
            var host = arguments.Host;
            builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{arguments.Port}"));
        }

        await using var app = ServerApp.Build(builder, signer);
        EngineSetup.EnsureSandbox(app.Services, Console.Out);
        await app.StartAsync().ConfigureAwait(false);
        var mcp = app.Services.GetRequiredService<IOptions<Sandrun.AspNetCore.Mcp.SandrunMcpOptions>>().Value;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            Console.WriteLine($"listening on {address}" + (mcp.Enabled ? $" (MCP: {address.TrimEnd('/')}/{mcp.Path.Trim('/')})" : ""));
        }

        if (mcp.Enabled && mcp.AllowedHosts.Count == 0 && addresses.Any(a => !IsLoopback(a)))
        {
            Console.WriteLine("note: MCP answers only Host localhost, 127.0.0.1 and [::1] (DNS rebinding protection); clients reaching this "
                + "server by another name or address need it in Sandrun:Mcp:AllowedHosts, e.g. --Sandrun:Mcp:AllowedHosts:0 sandrun.example.com");
        }

        var options = app.Services.GetRequiredService<IOptions<SandrunOptions>>().Value;
        Console.WriteLine(signer is null
            ? $"worker mode: anonymous (no worker key); {options.Workers} workers, queue capacity {options.QueueCapacity}"
            : $"worker mode: identified, Worker ID: {signer.WorkerId}; {options.Workers} workers, queue capacity {options.QueueCapacity}");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    private static bool IsLoopback(string address) =>
        Uri.TryCreate(address.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && (uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip)));
}
