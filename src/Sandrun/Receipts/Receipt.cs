using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Sandrun.Abstractions;

namespace Sandrun.Receipts;

/// <summary>A signed receipt: the exact canonical JSON text that was signed, and the signature (SPEC.md §6).</summary>
/// <param name="Text">The receipt, RFC 8785 canonical JSON.</param>
/// <param name="Signature">Standard Base64 of the Ed25519 signature over the UTF-8 bytes of <paramref name="Text"/>.</param>
/// <param name="WorkerId">Standard Base64 of the signer's raw public key.</param>
public sealed record Receipt(string Text, string Signature, string WorkerId)
{
    /// <summary>Builds and signs a receipt; null in anonymous mode.</summary>
    public static Receipt? Create(IResultSigner signer, ReceiptFields fields)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(fields);
        if (signer.WorkerId is not { } workerId)
        {
            return null;
        }

        var outputs = new JsonObject();
        foreach (var (path, sha) in fields.Outputs)
        {
            outputs[path] = sha;
        }

        var text = CanonicalJson.Serialize(new JsonObject
        {
            ["job_id"] = fields.JobId,
            ["job_hash"] = fields.JobHash,
            ["status"] = fields.Status,
            ["exit_code"] = fields.ExitCode,
            ["failure_reason"] = fields.FailureReason,
            ["cpu_seconds"] = fields.CpuSeconds,
            ["memory_peak_bytes"] = fields.MemoryPeakBytes,
            ["wall_time_ms"] = fields.WallTimeMs,
            ["outputs"] = outputs,
            ["worker_id"] = workerId,
            ["completed_at"] = fields.CompletedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        });
        var signature = signer.Sign(Encoding.UTF8.GetBytes(text)) ?? throw new InvalidOperationException("the signer returned no signature");
        return new Receipt(text, Convert.ToBase64String(signature), workerId);
    }
}

/// <summary>The facts a receipt states; the same values /status reports.</summary>
public sealed record ReceiptFields(
    string JobId, string JobHash, string Status, int? ExitCode, string? FailureReason, double CpuSeconds, long MemoryPeakBytes, long WallTimeMs,
    IReadOnlyDictionary<string, string> Outputs, DateTimeOffset CompletedAt);
