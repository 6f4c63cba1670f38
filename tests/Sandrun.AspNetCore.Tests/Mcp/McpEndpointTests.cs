using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Sandrun.AspNetCore.Mcp;
using Sandrun.Linux;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>The <c>/mcp</c> endpoint over real HTTP: DNS rebinding and cross-origin protection (Host and Origin validation), body limits, mapping.</summary>
public sealed class McpEndpointTests
{
    private const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""";

    [Theory]
    [InlineData("evil.example.com", null, "Host")]
    [InlineData("evil.example.com", "http://evil.example.com", "Host")]
    [InlineData("localhost.evil.example.com", null, "Host")]
    [InlineData("127.0.0.1.nip.io", null, "Host")]
    [InlineData("[::2]:8443", null, "Host")]
    [InlineData("127.0.0.1", "http://evil.example.com", "Origin")]
    [InlineData("localhost", "null", "Origin")]
    [InlineData("localhost", "http://localhost.evil.example.com", "Origin")]
    [InlineData("127.0.0.1", "file://", "Origin")]
    public async Task Foreign_host_or_origin_is_refused_with_403_before_any_MCP_processing(string host, string? origin, string named)
    {
        await using var server = await StartAsync();
        using var response = await PostAsync(server, host, origin);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("2.0", body.GetProperty("jsonrpc").GetString());
        Assert.StartsWith($"Forbidden: {named} ", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Mcp-Session-Id"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("localhost", null)]
    [InlineData("127.0.0.1", "http://127.0.0.1:3000")]
    [InlineData("[::1]:8443", "http://localhost")]
    [InlineData("LOCALHOST:1", "https://localhost:8443")]
    public async Task Loopback_host_and_origin_are_served(string host, string? origin)
    {
        await using var server = await StartAsync();
        using var response = await PostAsync(server, host, origin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"serverInfo\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        if (origin is not null)
        {
            Assert.Equal(origin, Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        }
    }

    [Fact]
    public async Task Configured_hosts_and_origins_are_served_and_nothing_else()
    {
        await using var server = await StartAsync(o =>
        {
            o.AllowedHosts = ["sandrun.example.com", "worker.example.net:8443"];
            o.AllowedOrigins = ["https://app.example.org"];
        });
        foreach (var (host, origin) in new[] { ("sandrun.example.com", (string?)null), ("Sandrun.Example.com:443", "https://sandrun.example.com"), ("worker.example.net:8443", null), ("localhost", "https://app.example.org/") })
        {
            using var ok = await PostAsync(server, host, origin);
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"{host} {origin}: {ok.StatusCode}");
        }

        foreach (var (host, origin) in new[] { ("worker.example.net", (string?)null), ("worker.example.net:9999", null), ("sandrun.example.com", "https://app.example.org.evil.com") })
        {
            using var refused = await PostAsync(server, host, origin);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{host} {origin}: {refused.StatusCode}");
        }
    }

    [Fact]
    public async Task Preflight_is_answered_only_for_allowed_origins_and_never_with_a_wildcard()
    {
        await using var server = await StartAsync();
        using (var evil = new HttpRequestMessage(HttpMethod.Options, "/mcp"))
        {
            evil.Headers.Add("Origin", "http://evil.example.com");
            evil.Headers.Add("Access-Control-Request-Method", "POST");
            using var response = await server.Client.SendAsync(evil);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
            Assert.False(response.Headers.Contains("Access-Control-Allow-Methods"));
        }

        using var local = new HttpRequestMessage(HttpMethod.Options, "/mcp");
        local.Headers.Add("Origin", "http://localhost:5173");
        local.Headers.Add("Access-Control-Request-Method", "POST");
        local.Headers.Add("Access-Control-Request-Headers", "content-type, mcp-protocol-version");
        using var allowed = await server.Client.SendAsync(local);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("http://localhost:5173", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("POST", Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);

        // The REST API keeps its public CORS.
        using var restRequest = new HttpRequestMessage(HttpMethod.Get, "/health");
        restRequest.Headers.Add("Origin", "http://evil.example.com");
        using var rest = await server.Client.SendAsync(restRequest);
        Assert.Equal("*", Assert.Single(rest.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Get_and_delete_on_the_stateless_endpoint_are_405_with_Allow_not_the_servers_404(string method)
    {
        // The sample server's JSON 404 fallback must not answer them: Streamable HTTP clients read 404 as "session gone".
        await using var server = await SampleServerApp.StartAsync("/run/sandrun-http-mcp-405");
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(new HttpMethod(method), "/mcp");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["POST"], response.Content.Headers.Allow);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("2.0", body.GetProperty("jsonrpc").GetString());
        Assert.StartsWith("Method Not Allowed", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        // The host check still comes first.
        using var foreign = new HttpRequestMessage(new HttpMethod(method), "/mcp");
        foreign.Headers.Host = "evil.example.com";
        using var refused = await client.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Disabled_or_unregistered_MCP_is_not_mapped()
    {
        await using (var disabled = await StartAsync(o => o.Enabled = false))
        {
            using var response = await PostAsync(disabled, "localhost", null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        await using var plain = await TestServer.StartAsync();
        using var none = await PostAsync(plain, "localhost", null);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task Custom_path_below_a_prefix()
    {
        (var app, var url) = await LocalHttpServer.StartAsync(
            app =>
            {
                app.UseCors();
                app.MapSandrun("/sandrun").MapSandrunMcp();
            },
            s =>
            {
                s.AddSandrun(o => o.RateLimits.Enabled = false);
                s.AddLinuxSandbox(o => o.StateDirectory = "/run/sandrun-http-tests");
                s.AddSandrunApi();
                s.AddSandrunMcp(o => o.Path = "agents");
            });
        await using (app)
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            using var content = new StringContent(Initialize, Encoding.UTF8, "application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/sandrun/agents") { Content = content };
            request.Headers.Add("Accept", "application/json, text/event-stream");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task An_oversized_body_is_a_413_with_a_JSON_RPC_error_whether_announced_or_streamed()
    {
        await using var server = await TestServer.StartAsync(o => o.Limits.MaxUploadBytes = 1 << 20, services: s => s.AddSandrunMcp());
        // Just over the limit (2 MiB): the server answers before reading the rest, and what the client has not
        // sent yet must fit in the socket buffers, or its write fails with EPIPE instead of reading the 413.
        var body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"execute_python\",\"arguments\":{\"code\":\"#" + new string('x', (2 << 20) + (64 << 10)) + "\"}}}";
        foreach (var chunked in new[] { false, true })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp")
            {
                Content = chunked ? new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body))) : new StringContent(body, Encoding.UTF8),
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.TransferEncodingChunked = chunked;
            request.Headers.ExpectContinue = !chunked; // an announced oversized body is refused before it is sent
            request.Headers.Add("Accept", "application/json, text/event-stream");
            using var response = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString();
            Assert.Contains($"the limit is {(1 << 20) + (1 << 20)} bytes", error, StringComparison.Ordinal);
        }

        using var health = await server.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static Task<TestServer> StartAsync(Action<SandrunMcpOptions>? configure = null) =>
        TestServer.StartAsync(services: s => s.AddSandrunMcp(o => configure?.Invoke(o)));

    private static async Task<HttpResponseMessage> PostAsync(TestServer server, string host, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(Initialize, Encoding.UTF8, "application/json") };
        request.Headers.Host = host;
        request.Headers.Add("Accept", "application/json, text/event-stream");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await server.Client.SendAsync(request);
    }
}
