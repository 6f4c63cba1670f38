using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandrun.AspNetCore.Ui;
using Sandrun.Server;

namespace Sandrun.AspNetCore.Tests.Ui;

/// <summary>How the UI is served: embedded files only, a strict CSP on each, nothing from another origin, the sample's redirect.</summary>
public sealed partial class UiEndpointTests
{
    [Fact]
    public async Task Every_file_is_embedded_carries_the_policy_and_names_no_other_origin()
    {
        await using var server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-ui");
        using var page = await server.Client.GetAsync("/ui/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var files = LocalReferences().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["app.css", "app.js"], files.Order(StringComparer.Ordinal));
        files.AddRange(["targz.js", "receipt.js"]);

        foreach (var file in files.Prepend(""))
        {
            using var response = await server.Client.GetAsync($"/ui/{file}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(SandrunUiEndpoints.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotMatch(@"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text);

            // Revalidation by ETag: unchanged files are not sent again.
            using var again = new HttpRequestMessage(HttpMethod.Get, $"/ui/{file}");
            again.Headers.TryAddWithoutValidation("If-None-Match", response.Headers.ETag!.Tag);
            Assert.Equal(HttpStatusCode.NotModified, (await server.Client.SendAsync(again)).StatusCode);
        }

        Assert.Contains("script-src 'self'", SandrunUiEndpoints.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", SandrunUiEndpoints.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/ui/secrets.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync("/ui/..%2Fappsettings.json")).StatusCode);
    }

    [Fact]
    public async Task The_sample_sends_browsers_to_the_ui_and_keeps_json_for_clients()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = ["--urls", "http://127.0.0.1:0", "--Sandrun:Sandbox:StateDirectory", "/run/sandrun-http-ui-sample"],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        await using var app = ServerApp.Build(builder, signer: null);
        await app.StartAsync();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()),
        };

        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.TryAddWithoutValidation("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        using var redirected = await client.SendAsync(browser);
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        Assert.Equal("/ui/", redirected.Headers.Location!.OriginalString);

        using var api = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        Assert.Equal("application/json", api.Content.Headers.ContentType!.MediaType);

        using var bare = await client.GetAsync("/ui");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/ui/", bare.Headers.Location!.OriginalString);
        await app.StopAsync();
    }

    [GeneratedRegex("(?:src|href)=\"([^\":]+)\"")]
    private static partial Regex LocalReferences();
}
