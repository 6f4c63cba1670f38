using Sandrun.Abstractions;

namespace Sandrun.Server;

/// <summary>Command-line entry: verbs and global options.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                "exec" => await ExecCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "mcp" => await McpCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "pool" => await PoolCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "environments" => await EnvironmentsCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "broker" => await BrokerCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "worker" => await WorkerCommand.RunAsync(args[1..]).ConfigureAwait(false),
                "probe" => Probe(),
                "verify" => KeyCommands.Verify(args[1..]),
                "--generate-key" => KeyCommands.GenerateKey(args[1..]),
                "--version" => Print(typeof(Cli).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"),
                "--help" or "-h" => Print(Help),
                _ => await ServeCommand.RunAsync(args).ConfigureAwait(false),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"sandrun: {e.Message}\n\n{Help}").ConfigureAwait(false);
            return 2;
        }
        catch (SandboxUnavailableException e)
        {
            await Console.Error.WriteLineAsync($"sandrun: sandbox unavailable: {e.Message}").ConfigureAwait(false);
            return 125;
        }
    }

    private const string Help = "Sandrun.Server — anonymous, ephemeral, sandboxed code execution\n\n"
        + "usage: Sandrun.Server [--port N (8443)] [--host ADDR (127.0.0.1)] [--urls URLS] [--worker-key FILE] [--Sandrun:Key value ...]\n"
        + "       starts the HTTP server (configuration: appsettings.json 'Sandrun' section, Sandrun__X env vars)\n\n"
        + "commands:\n"
        + "  exec ... -- PROGRAM [ARGS...]   run one command in the sandbox (see 'exec' usage below)\n"
        + "  mcp [--worker-key FILE] [--Sandrun:Key value ...]\n"
        + "                                  serve the MCP tools over stdin/stdout (for desktop MCP clients)\n"
        + "  environments list | build NAME (--from-debian | --wheels DIR) [--output DIR] [--definition FILE]\n"
        + "                                  build a pre-built environment template (see 'environments' usage below)\n"
        + "  broker [--port N] [--db FILE | --postgres CONN]\n"
        + "                                  the durable job broker (SPEC.md §8; see 'broker' usage below)\n"
        + "  worker --broker URL [--worker-key FILE] [--slots N]\n"
        + "                                  a node that pulls jobs from a broker and runs them here\n"
        + "  pool --workers FILE [--port N] [--host ADDR]\n"
        + "                                  one front door for trusted workers (see 'pool' usage below)\n"
        + "  probe                           print the host's sandbox capability report\n"
        + "  --generate-key [FILE]           create an Ed25519 worker key (default ./worker_key.pem, mode 0600) and print its Worker ID\n"
        + "  verify --status FILE.json [--worker-id ID]\n"
        + "                                  check the signed receipt in a saved /status response (exit 0 valid, 1 not)\n"
        + "  --version, --help\n\n"
        + ExecCommand.Usage + "\n\n" + EnvironmentsCommand.Usage + "\n\n" + BrokerCommand.Usage + "\n" + WorkerCommand.Usage + "\n\n" + PoolCommand.Usage;

    private static int Probe()
    {
        using var sandbox = new Sandrun.Linux.LinuxSandbox(
            Microsoft.Extensions.Options.Options.Create(new Sandrun.Linux.LinuxSandboxOptions()));
        Console.WriteLine(sandbox.Capabilities);
        if (sandbox.Capabilities.Problems.Count > 0)
        {
            return 1;
        }

        Console.WriteLine(sandbox.Describe());
        return 0;
    }

    private static int Print(string text)
    {
        Console.WriteLine(text);
        return 0;
    }
}

/// <summary>Bad command line; the message says what is wrong.</summary>
internal sealed class UsageException(string message) : Exception(message);
