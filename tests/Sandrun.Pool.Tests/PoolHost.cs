using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Sandrun.Pool.Tests;

/// <summary>The pool in this process (AddSandrunPool/MapSandrunPool) on 127.0.0.1 with a random port, probing every 300 ms.</summary>
public sealed class PoolHost : IAsyncDisposable
{
    private readonly WebApplication app;

    private PoolHost(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
        Client = PoolClient.From("127.0.0.1", address);
    }

    public Uri Address { get; }

    /// <summary>A client connecting from 127.0.0.1.</summary>
    public PoolClient Client { get; }

    public IServiceProvider Services => app.Services;

    /// <summary>Starts a pool over <paramref name="workers"/> (worker id, endpoint, max jobs); extra configuration as key/value pairs.</summary>
    public static async Task<PoolHost> StartAsync(IEnumerable<(string WorkerId, string Endpoint, int Max)> workers, Action<PoolOptions>? configure = null, IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddSandrunPool(builder.Configuration, o =>
        {
            foreach (var (id, endpoint, max) in workers)
            {
                o.Workers.Add(new PoolWorkerOptions { WorkerId = id, Endpoint = endpoint, MaxConcurrentJobs = max });
            }

            o.HealthCheckInterval = TimeSpan.FromMilliseconds(300);
            o.HealthCheckTimeout = TimeSpan.FromSeconds(5);
            o.StatusPollInterval = TimeSpan.FromMilliseconds(200);
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.UseCors();
        app.MapSandrunPool();
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new PoolHost(app, new Uri(url));
    }

    public async Task<JsonElement> PoolViewAsync() => await Client.Http.GetFromJsonAsync<JsonElement>("/pool");

    /// <summary>Waits until the workers whose endpoints are given show <c>verified</c> = <paramref name="verified"/> in <c>/pool</c>.</summary>
    public async Task WaitForWorkersAsync(bool verified, params string[] endpoints)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var view = await PoolViewAsync();
            var matching = view.GetProperty("workers").EnumerateArray()
                .Where(w => endpoints.Contains(w.GetProperty("endpoint").GetString()))
                .Count(w => w.GetProperty("verified").GetBoolean() == verified && w.GetProperty("healthy").GetBoolean() == verified && w.GetProperty("last_health_check").ValueKind != JsonValueKind.Null);
            if (matching == endpoints.Length)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"workers not {(verified ? "verified" : "unverified")} in time: {view}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
