using ModelContextProtocol.Client;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>The tool scenarios over stdio, against the sample server's <c>mcp</c> verb as a child process.</summary>
public sealed class McpStdioToolTests : McpToolTests
{
    protected override async Task<Connection> ConnectAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var merged = Defaults.Concat(settings ?? new Dictionary<string, string>()).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "sandrun",
            Command = "dotnet",
            Arguments = ["exec", Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll"), "mcp",
                .. merged.SelectMany(kv => new[] { "--" + kv.Key, kv.Value })],
        });
        var client = await McpClient.CreateAsync(transport);
        return new Connection(client, AssertServerCleanedUpAsync);
    }

    /// <summary>Closing stdin ends the server, which unmounts every job workspace it still held on the way out.</summary>
    private static async ValueTask AssertServerCleanedUpAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (File.ReadLines("/proc/self/mountinfo").Any(IsJobMount) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), IsJobMount);
    }

    private static bool IsJobMount(string line) => line.Split(' ')[4].StartsWith("/run/sandrun/jobs-", StringComparison.Ordinal);
}
