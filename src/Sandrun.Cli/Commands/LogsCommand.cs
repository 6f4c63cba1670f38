using System.CommandLine;
using Sandrun.Cli.Client;

namespace Sandrun.Cli.Commands;

/// <summary><c>sandrun logs ID [-f]</c>: the output so far, or followed live until the job ends.</summary>
internal static class LogsCommand
{
    public static Command Create(Option<string?> server)
    {
        var id = StatusCommand.JobIdArgument();
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing output as it is produced until the job ends; then exit as run does." };
        var command = new Command("logs", "Print a job's stdout and stderr (each to its own stream).") { id, follow };
        command.SetAction(async (result, ct) =>
        {
            using var client = SandrunServer.Create(result.GetValue(server));
            var jobId = result.GetValue(id)!;
            if (!result.GetValue(follow))
            {
                await JobOutput.WriteLogsAsync(client, jobId, Console.Out, Console.Error, ct).ConfigureAwait(false);
                return 0;
            }

            var status = await JobOutput.FollowAsync(client, jobId, Console.Out, Console.Error, () => { }, ct).ConfigureAwait(false);
            return ExitCodes.ForJob(status);
        });
        return command;
    }
}
