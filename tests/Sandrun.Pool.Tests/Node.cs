using System.Diagnostics;

namespace Sandrun.Pool.Tests;

/// <summary>Runs a Node.js script (an Ed25519 implementation independent of ours).</summary>
internal static class Node
{
    public static async Task<string> RunAsync(string script, string? input = null)
    {
        using var node = Process.Start(new ProcessStartInfo("node", ["-e", script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        await node.StandardInput.WriteAsync(input ?? "");
        node.StandardInput.Close();
        var output = node.StandardOutput.ReadToEndAsync();
        var error = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, error);
        return (await output).Trim();
    }
}
