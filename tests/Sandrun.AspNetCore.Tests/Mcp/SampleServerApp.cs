using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.Server;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>The sample server's own app (<c>ServerApp.Build</c>: MCP at <c>/mcp</c> and its JSON 404 fallback) on 127.0.0.1, in process.</summary>
internal sealed class SampleServerApp : IAsyncDisposable
{
    private readonly WebApplication app;

    private SampleServerApp(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<SampleServerApp> StartAsync(string stateDirectory)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", "--Sandrun:Sandbox:StateDirectory", stateDirectory, "--Sandrun:RateLimits:Enabled", "false"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        var app = ServerApp.Build(builder, signer: null);
        await app.StartAsync();
        return new SampleServerApp(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
