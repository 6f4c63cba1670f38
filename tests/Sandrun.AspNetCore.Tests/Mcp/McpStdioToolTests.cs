using ModelContextProtocol.Client;

namespace Sandrun.AspNetCore.Tests.Mcp;

/// <summary>The tool scenarios over stdio, against the sample server's <c>mcp</c> verb as a child process.</summary>
public sealed class McpStdioToolTests : McpToolTests
{
    /// <summary>This class's servers' own state directory, so that the clean-up check sees their mounts only.</summary>
    private const string StateDirectory = "/run/sandrun-mcp-stdio";

    protected override async Task<Connection> ConnectAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var merged = Defaults.Append(new("Sandrun:Sandbox:StateDirectory", StateDirectory)).Concat(settings ?? new Dictionary<string, string>()).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value);
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

    /// <summary>Closing stdin ends the server, which unmounts everything it staged on the way out (its job workspaces never were in the host's mount table).</summary>
    private static async ValueTask AssertServerCleanedUpAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (File.ReadLines("/proc/self/mountinfo").Any(IsServerMount) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), IsServerMount);
    }

    private static bool IsServerMount(string line) => line.Split(' ')[4].StartsWith(StateDirectory + "/", StringComparison.Ordinal);
}
