using System.CommandLine;
using Sandrun.Cli.Client;
using Sandrun.Receipts;

namespace Sandrun.Cli.Commands;

/// <summary>
/// <c>sandrun verify ID [--worker-id KEY]</c>: checks the job's Ed25519 receipt (SPEC §6) here, trusting nothing the
/// server says about it, and that the status the server reports is the one the receipt signs. Exit 0 valid, 1 not.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(Option<string?> server)
    {
        var id = StatusCommand.JobIdArgument();
        var worker = new Option<string?>("--worker-id") { Description = "The worker key (Base64) the receipt must be signed by; without it any valid signature is reported with its key." };
        var command = new Command("verify", "Verify a finished job's signed receipt.") { id, worker };
        command.SetAction(async (result, ct) =>
        {
            using var client = SandrunServer.Create(result.GetValue(server));
            var status = await client.GetJsonAsync(SandrunServer.JobPath("status", result.GetValue(id)!), ct).ConfigureAwait(false);
            var check = StatusReceipt.Check(status, result.GetValue(worker));
            await (check.Valid ? Console.Out : Console.Error).WriteLineAsync(check.Valid ? $"valid: {check.Message}" : $"sandrun: invalid: {check.Message}").ConfigureAwait(false);
            return check.Valid ? 0 : ExitCodes.Invalid;
        });
        return command;
    }
}
