using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;
using Sandrun.AspNetCore;
using Sandrun.Linux;
using Sandrun.Receipts;

namespace Sandrun.Cli.Tests;

/// <summary>A real Sandrun server (Kestrel on 127.0.0.1, a random port, the Linux sandbox, a worker key), shared by a test class.</summary>
public sealed class CliServer : IAsyncLifetime
{
    private WebApplication? app;

    public Ed25519Signer Signer { get; } = Ed25519Signer.Generate();

    public string Url { get; private set; } = "";

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(1) };

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSandrun(o =>
        {
            o.Workers = 2;
            o.RateLimits.Enabled = false;
        }).UseLinuxSandbox(o => o.StateDirectory = "/run/sandrun-cli-tests");
        builder.Services.AddSandrunApi();
        builder.Services.AddSingleton<IResultSigner>(Signer);
        app = builder.Build();
        app.UseWebSockets();
        app.UseCors();
        app.MapSandrun();
        await app.StartAsync();
        Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Http.BaseAddress = new Uri(Url);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        Signer.Dispose();
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async Task<JsonElement> StatusAsync(string jobId) =>
        JsonDocument.Parse(await Http.GetStringAsync($"/status/{jobId}")).RootElement.Clone();

    /// <summary>Submits one file over HTTP (not through the CLI); returns the job id.</summary>
    public async Task<string> SubmitAsync(string name, string content)
    {
        using var form = new MultipartFormDataContent { { new StringContent(content), "files", name } };
        using var response = await Http.PostAsync("/submit", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString()!;
    }
}
