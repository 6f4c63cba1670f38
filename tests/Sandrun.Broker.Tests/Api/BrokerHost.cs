using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;
using Sandrun.Broker.Contracts;
using Sandrun.Receipts;

namespace Sandrun.Broker.Tests.Api;

/// <summary>A broker in this process on real Kestrel (127.0.0.1, a random port) over a SQLite file in a temp directory.</summary>
internal sealed class BrokerHost : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly string directory;

    private BrokerHost(WebApplication app, string directory, Uri address)
    {
        this.app = app;
        this.directory = directory;
        Address = address;
        Http = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => app.Services;

    public static async Task<BrokerHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var directory = Directory.CreateTempSubdirectory("sandrun-broker-api-").FullName;
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Sandrun:Broker:Database"] = Path.Combine(directory, "broker.db") });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSandrunBroker(builder.Configuration);
        var app = builder.Build();
        app.MapSandrunBroker();
        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new BrokerHost(app, directory, address);
    }

    /// <summary>Registers <paramref name="signer"/>'s key as a node and returns its token.</summary>
    public async Task<(string NodeId, string Token)> RegisterAsync(IResultSigner signer)
    {
        using var first = await Http.PostAsJsonAsync("/register", new RegisterRequest(signer.WorkerId, "test", null, 2, null, null, null), BrokerJsonContext.Default.RegisterRequest);
        first.EnsureSuccessStatusCode();
        var challenge = (await first.Content.ReadFromJsonAsync(BrokerJsonContext.Default.RegisterChallengeResponse))!;
        using var second = await Http.PostAsJsonAsync("/register",
            new RegisterRequest(signer.WorkerId, null, null, null, challenge.NodeId, challenge.Challenge, WorkerChallenge.Answer(signer, challenge.Challenge)),
            BrokerJsonContext.Default.RegisterRequest);
        second.EnsureSuccessStatusCode();
        var registered = (await second.Content.ReadFromJsonAsync(BrokerJsonContext.Default.RegisterResponse))!;
        return (registered.NodeId, registered.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>A fresh node key.</summary>
    public static Ed25519Signer NewKey() => Ed25519Signer.Generate();
}
