using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sandrun.Linux;

namespace Sandrun.AspNetCore.Tests;

/// <summary>Sandrun inside someone else's app: it maps only its own routes, and the app's conventions reach all of them.</summary>
public sealed class EmbeddingTests
{
    private const string StateDirectory = "/run/sandrun-http-embedding";

    [Fact]
    public async Task At_the_root_the_apps_own_root_404s_and_preflights_stay_the_apps()
    {
        var (app, url) = await LocalHttpServer.StartAsync(
            app =>
            {
                app.UseCors();
                app.MapGet("/", () => "the app's home");
                app.MapPost("/api/own", () => "own");
                app.MapSandrun();
            },
            AddSandrun);
        await using (app)
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal("the app's home", await client.GetStringAsync("/"));

            using var missing = await client.GetAsync("/no/such/page");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Empty(await missing.Content.ReadAsStringAsync());

            using var foreign = Preflight("/api/own", "https://evil.example.com");
            using var foreignAnswer = await client.SendAsync(foreign);
            Assert.False(foreignAnswer.Headers.Contains("Access-Control-Allow-Origin"));

            // Sandrun's own routes keep SPEC.md's open CORS, preflights included.
            using var own = Preflight("/submit", "https://evil.example.com");
            using var ownAnswer = await client.SendAsync(own);
            Assert.Equal(HttpStatusCode.NoContent, ownAnswer.StatusCode);
            Assert.Equal("*", Assert.Single(ownAnswer.Headers.GetValues("Access-Control-Allow-Origin")));
            Assert.Equal("healthy", (await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString());
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Group_conventions_reach_every_endpoint_MCP_included_and_unknown_paths_below_the_prefix_are_JSON_404s()
    {
        var (app, url) = await LocalHttpServer.StartAsync(
            app =>
            {
                app.UseCors();
                var sandrun = app.MapSandrun("/sandrun").RequireHost("sandrun.internal");
                sandrun.MapSandrunMcp();
            },
            services =>
            {
                AddSandrun(services);
                services.AddSandrunMcp(o => o.AllowedHosts = ["sandrun.internal"]);
            });
        await using (app)
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            foreach (var (host, expected) in new[] { ("127.0.0.1", HttpStatusCode.NotFound), ("sandrun.internal", HttpStatusCode.OK) })
            {
                using var health = new HttpRequestMessage(HttpMethod.Get, "/sandrun/health");
                health.Headers.Host = host;
                using var healthAnswer = await client.SendAsync(health);
                Assert.Equal(expected, healthAnswer.StatusCode);

                using var initialize = new HttpRequestMessage(HttpMethod.Post, "/sandrun/mcp")
                {
                    Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""", Encoding.UTF8, "application/json"),
                };
                initialize.Headers.Host = host;
                initialize.Headers.Add("Accept", "application/json, text/event-stream");
                using var mcpAnswer = await client.SendAsync(initialize);
                Assert.Equal(expected, mcpAnswer.StatusCode);
            }

            using var unknown = new HttpRequestMessage(HttpMethod.Get, "/sandrun/no/such/endpoint.txt");
            unknown.Headers.Host = "sandrun.internal";
            using var unknownAnswer = await client.SendAsync(unknown);
            Assert.Equal(HttpStatusCode.NotFound, unknownAnswer.StatusCode);
            Assert.Equal("not found", (await unknownAnswer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Mapping_without_the_registrations_names_what_is_missing()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalHttpServer.StartAsync(app => app.MapSandrun(), s => s.AddSandrun()));
        Assert.Contains("UseLinuxSandbox", error.Message, StringComparison.Ordinal);
        Assert.Contains("AddSandrunApi", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AddSandrun(builder.Configuration)", error.Message, StringComparison.Ordinal);

        var mcp = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalHttpServer.StartAsync(app => app.MapSandrun().MapSandrunMcp(), AddSandrun));
        Assert.Contains("AddSandrunMcp", mcp.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_in_an_app_without_UseWebSockets_says_how_to_fix_it()
    {
        var (app, url) = await LocalHttpServer.StartAsync(app => { app.UseCors(); app.MapSandrun(); }, AddSandrun);
        await using (app)
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            using var upgrade = new HttpRequestMessage(HttpMethod.Get, "/logs/job-x/stream");
            upgrade.Headers.Connection.Add("Upgrade");
            upgrade.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
            upgrade.Headers.Add("Sec-WebSocket-Version", "13");
            upgrade.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
            using var answer = await client.SendAsync(upgrade);
            Assert.Equal(HttpStatusCode.InternalServerError, answer.StatusCode);
            Assert.Contains("app.UseWebSockets()", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details").GetString(), StringComparison.Ordinal);

            using var plain = await client.GetAsync("/logs/job-x/stream");
            Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
            await app.StopAsync();
        }
    }

    private static void AddSandrun(IServiceCollection services)
    {
        services.AddSandrun(o => o.RateLimits.Enabled = false).UseLinuxSandbox(o => o.StateDirectory = StateDirectory);
        services.AddSandrunApi();
    }

    private static HttpRequestMessage Preflight(string path, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        return request;
    }
}
