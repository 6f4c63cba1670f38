using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.Receipts;

namespace Sandrun.Pool.Jobs;

/// <summary>
/// Whether a worker's final <c>/status</c> is backed by its signed receipt (SPEC.md §6–7): the signature verifies against
/// the key listed for that worker (not the key the worker names), and the receipt states this job and what the status reports.
/// </summary>
public static class ReceiptCheck
{
    /// <summary>True when <paramref name="status"/> carries a receipt of <paramref name="listedWorkerId"/> for <paramref name="workerJobId"/> that matches it.</summary>
    public static bool Verify(JsonObject status, string listedWorkerId, string workerJobId)
    {
        ArgumentNullException.ThrowIfNull(status);
        try
        {
            if (status["worker_metadata"] is not JsonObject meta
                || meta["receipt"]?.GetValue<string>() is not { } receiptText
                || meta["signature"]?.GetValue<string>() is not { } signature
                || meta["worker_id"]?.GetValue<string>() != listedWorkerId
                || !ReceiptVerifier.Verify(receiptText, signature, listedWorkerId)
                || JsonNode.Parse(receiptText) is not JsonObject receipt)
            {
                return false;
            }

            var execution = status["execution_metadata"] as JsonObject;
            return Same(receipt["job_id"], workerJobId)
                && Same(receipt["status"], status["status"])
                && Same(receipt["job_hash"], status["job_hash"])
                && Same(receipt["failure_reason"], status["failure_reason"])
                && Same(receipt["exit_code"], execution?["exit_code"])
                && Same(receipt["cpu_seconds"], execution?["cpu_seconds"])
                && Same(receipt["memory_peak_bytes"], execution?["memory_peak_bytes"])
                && Same(receipt["wall_time_ms"], execution?["wall_time_ms"])
                && SameOutputs(receipt["outputs"] as JsonObject, status["output_files"] as JsonObject);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    /// <summary>Equal JSON values; numbers by value (the receipt's canonical form may spell a number differently).</summary>
    private static bool Same(JsonNode? a, JsonNode? b) =>
        a is JsonValue x && b is JsonValue y && x.GetValueKind() == JsonValueKind.Number && y.GetValueKind() == JsonValueKind.Number
            ? x.GetValue<double>() == y.GetValue<double>()
            : JsonNode.DeepEquals(a, b);

    private static bool Same(JsonNode? a, string b) => a is JsonValue value && value.TryGetValue<string>(out var s) && s == b;

    private static bool SameOutputs(JsonObject? signed, JsonObject? reported)
    {
        if (signed is null || reported is null || signed.Count != reported.Count)
        {
            return false;
        }

        foreach (var (path, sha) in signed)
        {
            if (reported[path]?["sha256_hash"] is not JsonValue hash || !Same(sha, hash))
            {
                return false;
            }
        }

        return true;
    }
}
