using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>The tool scenarios over Streamable HTTP at <c>/mcp</c> of a real server on 127.0.0.1.</summary>
public sealed class McpHttpToolTests : McpToolTests
{
    protected override async Task<Connection> ConnectAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Defaults.Concat(settings ?? new Dictionary<string, string>())
            .GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => (string?)g.Last().Value)).Build();
        var server = await TestServer.StartAsync(services: s =>
        {
            s.Configure<SandrunOptions>(configuration.GetSection("Sandrun"));
            s.AddSandrunMcp(configuration);
        });
        try
        {
            var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(server.BaseAddress, "/mcp"), TransportMode = HttpTransportMode.StreamableHttp });
            var client = await McpClient.CreateAsync(transport);
            return new Connection(client, server.DisposeAsync);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }
}
