using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sandrun.AspNetCore.Tests;

/// <summary>A throwaway Kestrel app on 127.0.0.1 with a random port (test registries, package indexes, the server itself).</summary>
internal static class LocalHttpServer
{
    /// <summary>Builds the app with <paramref name="configureServices"/>, maps endpoints with <paramref name="map"/>, starts it; returns it and its base URL (no trailing slash).</summary>
    public static async Task<(WebApplication App, string Url)> StartAsync(Action<WebApplication> map, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (app, url);
    }
}
