using System.CommandLine;
using System.CommandLine.Help;
using Sandrun.Cli.Client;
using Sandrun.Cli.Commands;

namespace Sandrun.Cli;

/// <summary>The <c>sandrun</c> command: its verbs, and how failures become one line on stderr and an exit code.</summary>
internal static class SandrunCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var server = new Option<string?>("--server", "-s")
        {
            Description = $"The Sandrun server, pool or broker (default: $SANDRUN_SERVER, else {SandrunServer.DefaultUrl}).",
            Recursive = true,
        };
        // A Command, not a RootCommand: a RootCommand takes its name from the assembly (Sandrun.Cli), which must not be
        // "sandrun" (the runtime would take it for the engine's Sandrun.dll); help and usage say "sandrun".
        var root = new Command("sandrun", "Run code in a Sandrun sandbox and fetch its results.")
        {
            new HelpOption(),
            new VersionOption(),
            RunCommand.Create(server),
            StatusCommand.Create(server),
            LogsCommand.Create(server),
            OutputsCommand.Create(server),
            DownloadCommand.Create(server),
            VerifyCommand.Create(server),
        };
        root.Options.Add(server);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync($"sandrun: {error.Message}").ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("sandrun: see 'sandrun --help'").ConfigureAwait(false);
            return ExitCodes.Trouble;
        }

        try
        {
            // Failures are CliExceptions, reported below in one line; anything else is a bug worth its stack trace.
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            await Console.Error.WriteLineAsync($"sandrun: {e.Message}").ConfigureAwait(false);
            return e.ExitCode;
        }
    }
}
