using System.Globalization;
using System.Text.Json;

namespace Sandrun.Receipts;

/// <summary>
/// Whether a final <c>/status</c> document is backed by its signed receipt (SPEC.md §6): the signature verifies (against
/// the key the caller trusts, when it names one), and the receipt signs this job and every fact the status reports — status,
/// job hash, failure reason, exit code, CPU, peak memory, wall time and each output's SHA-256. One check for every reader
/// of a status (the pool, the <c>sandrun</c> CLI, the server's <c>verify</c> verb), so none of them trusts a field the
/// others would have refused.
/// </summary>
public static class StatusReceipt
{
    private static readonly string[] TextFields = ["status", "job_hash", "failure_reason"];
    private static readonly string[] MeasuredFields = ["exit_code", "cpu_seconds", "memory_peak_bytes", "wall_time_ms"];

    /// <summary>
    /// Checks <paramref name="status"/>. <paramref name="trustedWorkerId"/>: the key the receipt must be signed by (null:
    /// any valid signature, whose key the result names). <paramref name="workerJobId"/>: the id the receipt must sign
    /// (null: the status's own <c>job_id</c>, or the worker's id a pool reports in <c>pool_metadata.worker_job_id</c>).
    /// </summary>
    public static StatusReceiptCheck Check(JsonElement status, string? trustedWorkerId = null, string? workerJobId = null)
    {
        var metadata = Property(status, "worker_metadata");
        if (Text(metadata, "receipt") is not { } receiptText || Text(metadata, "signature") is not { } signature || Text(metadata, "worker_id") is not { } worker)
        {
            return StatusReceiptCheck.Invalid("the job has no receipt (an anonymous worker, or the job has not finished)");
        }

        if (trustedWorkerId is not null && trustedWorkerId != worker)
        {
            return StatusReceiptCheck.Invalid($"signed by {worker}, not by the expected worker {trustedWorkerId}");
        }

        if (!ReceiptVerifier.Verify(receiptText, signature, worker))
        {
            return StatusReceiptCheck.Invalid("the signature does not match the receipt and worker id");
        }

        using var document = JsonDocument.Parse(receiptText);
        var receipt = document.RootElement;
        var signedId = Text(receipt, "job_id");
        var statusId = Text(status, "job_id");
        if (workerJobId is not null ? signedId != workerJobId : signedId != statusId && signedId != Text(Property(status, "pool_metadata"), "worker_job_id"))
        {
            return StatusReceiptCheck.Invalid($"the receipt is for job {signedId}, not {workerJobId ?? statusId}");
        }

        foreach (var field in TextFields)
        {
            if (!Same(Property(receipt, field), Property(status, field)))
            {
                return StatusReceiptCheck.Invalid(Differs(field, Property(status, field), Property(receipt, field)));
            }
        }

        var execution = Property(status, "execution_metadata");
        foreach (var field in MeasuredFields)
        {
            if (!Same(Property(receipt, field), Property(execution, field)))
            {
                return StatusReceiptCheck.Invalid(Differs(field, Property(execution, field), Property(receipt, field)));
            }
        }

        if (OutputsDiffer(Property(receipt, "outputs"), Property(status, "output_files")) is { } outputs)
        {
            return StatusReceiptCheck.Invalid(outputs);
        }

        return new StatusReceiptCheck(true, worker, $"{signedId} {Text(receipt, "status")}, exit {Render(Property(receipt, "exit_code"))}, signed by worker {worker} at {Text(receipt, "completed_at")}");
    }

    private static string? OutputsDiffer(JsonElement? signed, JsonElement? reported)
    {
        if (signed is not { ValueKind: JsonValueKind.Object } s || reported is not { ValueKind: JsonValueKind.Object } r)
        {
            return "the status or the receipt has no list of output files";
        }

        var count = 0;
        foreach (var output in s.EnumerateObject())
        {
            count++;
            if (!Same(output.Value, Property(Property(r, output.Name), "sha256_hash")))
            {
                return $"the server's output '{output.Name}' is not the file the receipt signs";
            }
        }

        return count == r.EnumerateObject().Count() ? null : "the server reports output files that the receipt does not sign";
    }

    /// <summary>Equal JSON values, numbers by value (a receipt's canonical form may spell a number differently); absent equals null.</summary>
    private static bool Same(JsonElement? a, JsonElement? b)
    {
        var x = a ?? default;
        var y = b ?? default;
        if (x.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null || y.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return x.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null && y.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;
        }

        return x.ValueKind == JsonValueKind.Number && y.ValueKind == JsonValueKind.Number
            ? x.GetDouble() == y.GetDouble()
            : JsonElement.DeepEquals(x, y);
    }

    private static string Differs(string field, JsonElement? reported, JsonElement? signed) =>
        $"the server reports {field} {Render(reported)} but the receipt signs {Render(signed)}";

    private static string Render(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } s => $"'{s.GetString()}'",
        { ValueKind: JsonValueKind.Number } n => n.GetDouble().ToString(CultureInfo.InvariantCulture),
        { ValueKind: JsonValueKind.Undefined or JsonValueKind.Null } or null => "''",
        { } other => other.GetRawText(),
    };

    private static JsonElement? Property(JsonElement? element, string name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) ? value : null;

    private static string? Text(JsonElement? element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;
}

/// <summary>The outcome of <see cref="StatusReceipt.Check"/>.</summary>
/// <param name="Valid">Whether the receipt is valid and backs the status.</param>
/// <param name="WorkerId">The key that signed the receipt, when it is valid.</param>
/// <param name="Message">What was checked (valid), or the first problem found.</param>
public sealed record StatusReceiptCheck(bool Valid, string? WorkerId, string Message)
{
    internal static StatusReceiptCheck Invalid(string why) => new(false, null, why);
}
