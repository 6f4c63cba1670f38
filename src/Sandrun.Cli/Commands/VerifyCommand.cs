using System.CommandLine;
using System.Globalization;
using System.Text.Json;
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
            var (valid, message) = Verify(status, result.GetValue(worker));
            await (valid ? Console.Out : Console.Error).WriteLineAsync(valid ? $"valid: {message}" : $"sandrun: invalid: {message}").ConfigureAwait(false);
            return valid ? 0 : ExitCodes.Invalid;
        });
        return command;
    }

    private static (bool Valid, string Message) Verify(JsonElement status, string? expectedWorker)
    {
        var metadata = status.TryGetProperty("worker_metadata", out var m) ? m : default;
        var receipt = JsonFields.Text(metadata, "receipt");
        var signature = JsonFields.Text(metadata, "signature");
        var worker = JsonFields.Text(metadata, "worker_id");
        if (receipt is null || signature is null || worker is null)
        {
            return (false, "the job has no receipt (an anonymous worker, or the job has not finished)");
        }

        if (expectedWorker is not null && expectedWorker != worker)
        {
            return (false, $"signed by {worker}, not by the expected worker {expectedWorker}");
        }

        if (!ReceiptVerifier.Verify(receipt, signature, worker))
        {
            return (false, "the signature does not match the receipt and worker id");
        }

        using var signed = JsonDocument.Parse(receipt);
        var r = signed.RootElement;
        var pool = status.TryGetProperty("pool_metadata", out var p) ? JsonFields.Text(p, "worker_job_id") : null;
        var jobId = JsonFields.Text(r, "job_id");
        if (jobId != JsonFields.Text(status, "job_id") && jobId != pool)
        {
            return (false, $"the receipt is for job {jobId}, not {JsonFields.Text(status, "job_id")}");
        }

        foreach (var field in new[] { "status", "job_hash", "failure_reason" })
        {
            if (JsonFields.Text(r, field) != JsonFields.Text(status, field))
            {
                return (false, $"the server reports {field} '{JsonFields.Text(status, field)}' but the receipt signs '{JsonFields.Text(r, field)}'");
            }
        }

        var metadataExit = status.TryGetProperty("execution_metadata", out var e) ? JsonFields.Number(e, "exit_code") : null;
        if (JsonFields.Number(r, "exit_code") != metadataExit)
        {
            return (false, $"the server reports exit code {metadataExit?.ToString(CultureInfo.InvariantCulture) ?? "none"} but the receipt signs {JsonFields.Number(r, "exit_code")?.ToString(CultureInfo.InvariantCulture) ?? "none"}");
        }

        return (true, $"{jobId} {JsonFields.Text(r, "status")}, exit {JsonFields.Number(r, "exit_code")?.ToString(CultureInfo.InvariantCulture) ?? "none"}, signed by worker {worker} at {JsonFields.Text(r, "completed_at")}");
    }
}
