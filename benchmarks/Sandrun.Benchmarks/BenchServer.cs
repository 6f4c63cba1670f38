using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;
using Sandrun.AspNetCore;
using Sandrun.Linux;

namespace Sandrun.Benchmarks;

/// <summary>
/// The server the HTTP harnesses measure: Kestrel on 127.0.0.1, one worker per CPU unless told, no rate limits,
/// OverlapSetup as the server's default unless told; with a signer, receipts are signed as a worker with a key signs them.
/// </summary>
internal static class BenchServer
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(string stateDirectory, bool mcp, int? workers = null, IResultSigner? signer = null,
        bool? overlapSetup = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSandrun(o =>
        {
            o.Workers = workers ?? Environment.ProcessorCount;
            o.RateLimits.Enabled = false;
            o.OverlapSetup = overlapSetup ?? o.OverlapSetup;
        });
        builder.Services.AddLinuxSandbox(o => o.StateDirectory = stateDirectory);
        builder.Services.AddSandrunApi();
        if (signer is not null)
        {
            builder.Services.AddSingleton(signer);
        }
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
