using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.AspNetCore;
using Sandrun.Linux;

namespace Sandrun.Benchmarks;

/// <summary>The server the HTTP harnesses measure: Kestrel on 127.0.0.1, one worker per CPU, no rate limits.</summary>
internal static class BenchServer
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(string stateDirectory, bool mcp)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSandrun(o =>
        {
            o.Workers = Environment.ProcessorCount;
            o.RateLimits.Enabled = false;
        });
        builder.Services.AddLinuxSandbox(o => o.StateDirectory = stateDirectory);
        builder.Services.AddSandrunApi();
        if (mcp)
        {
            builder.Services.AddSandrunMcp();
        }

        var app = builder.Build();
        app.UseWebSockets();
        app.UseCors();
        var sandrun = app.MapSandrun();
        if (mcp)
        {
            sandrun.MapSandrunMcp();
        }

        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
    }
}
