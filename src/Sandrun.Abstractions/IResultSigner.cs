namespace Sandrun.Abstractions;

/// <summary>Signs job receipts with the worker's key.</summary>
public interface IResultSigner
{
    /// <summary>Standard Base64 of the raw public key, or null in anonymous mode.</summary>
    string? WorkerId { get; }

    /// <summary>Signature algorithm name, e.g. "Ed25519".</summary>
    string Algorithm { get; }

    /// <summary>Signs <paramref name="data"/>; returns null in anonymous mode.</summary>
    byte[]? Sign(ReadOnlySpan<byte> data);
}
