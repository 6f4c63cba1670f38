using System.Text.Json.Serialization;
using Sandrun.Abstractions;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Contracts;

/// <summary>A finished job's signed receipt (SPEC.md §6): verify <see cref="Signature"/> over <see cref="Receipt"/> with <see cref="WorkerId"/>.</summary>
/// <param name="WorkerId">Standard Base64 of the worker's raw Ed25519 public key.</param>
/// <param name="Algorithm"><c>Ed25519</c>.</param>
/// <param name="Receipt">The exact canonical JSON text that was signed.</param>
/// <param name="Signature">Standard Base64 of the signature over the receipt's UTF-8 bytes.</param>
public sealed record WorkerMetadata(
    [property: JsonPropertyName("worker_id")] string? WorkerId,
    [property: JsonPropertyName("algorithm")] string? Algorithm,
    [property: JsonPropertyName("receipt")] string? Receipt,
    [property: JsonPropertyName("signature")] string? Signature)
{
    /// <summary>Every field null: an anonymous worker, or a job that has not finished.</summary>
    public static WorkerMetadata Unsigned { get; } = new(null, null, null, null);

    /// <summary>The job's signed receipt, or null while it has none (anonymous worker or unfinished job).</summary>
    public static WorkerMetadata? Of(Job job, IResultSigner? signer)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Receipt is { } receipt ? new WorkerMetadata(receipt.WorkerId, signer?.Algorithm ?? "Ed25519", receipt.Text, receipt.Signature) : null;
    }
}
