using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>The tool scenarios over Streamable HTTP at <c>/mcp</c> of a real server on 127.0.0.1.</summary>
public sealed class McpHttpToolTests : McpToolTests
{
    [Fact]
    public async Task Tool_calls_and_REST_submissions_share_the_client_address_quota()
    {
        await using var server = await StartAsync(new Dictionary<string, string> { ["Sandrun:RateLimits:Enabled"] = "true", ["Sandrun:RateLimits:MaxJobsPerHour"] = "1" });
        await using var client = await ConnectAsync(server);
        var first = await client.CallToolAsync("execute_python", new Dictionary<string, object?> { ["code"] = "print(1)" });
        Assert.NotEqual(true, first.IsError);

        using var rest = await server.SubmitAsync(new Dictionary<string, string> { ["main.py"] = "print(2)" }, null);
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, rest.StatusCode);
    }

    protected override async Task<Connection> ConnectAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var server = await StartAsync(settings);
        try
        {
            return new Connection(await ConnectAsync(server), server.DisposeAsync);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static Task<TestServer> StartAsync(IReadOnlyDictionary<string, string>? settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Defaults.Concat(settings ?? new Dictionary<string, string>())
            .GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => (string?)g.Last().Value)).Build();
        return TestServer.StartAsync(services: s =>
        {
            s.Configure<SandrunOptions>(configuration.GetSection("Sandrun"));
            s.AddSandrunMcp(configuration);
        });
    }

    private static Task<McpClient> ConnectAsync(TestServer server) =>
        McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(server.BaseAddress, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp }));
}
