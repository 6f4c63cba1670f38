using NSec.Cryptography;
using Sandrun.Abstractions;

namespace Sandrun.Broker;

/// <summary>
/// Proof of a node's key at registration (SPEC.md §7's challenge): an Ed25519 signature over the bytes
/// <c>"sandrun-challenge-v1\n"</c> followed by the 32 random bytes of the challenge. The prefix keeps the signature
/// from ever doubling as a receipt signature (receipts are JSON).
/// </summary>
public static class ChallengeSignature
{
    private static readonly byte[] Prefix = "sandrun-challenge-v1\n"u8.ToArray();

    /// <summary>Signs the Base64 challenge <paramref name="challenge"/> with <paramref name="signer"/>; Base64 of the signature.</summary>
    /// <exception cref="FormatException">The challenge is not Base64.</exception>
    public static string Sign(IResultSigner signer, string challenge)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var signature = signer.Sign(Message(Convert.FromBase64String(challenge))) ?? throw new InvalidOperationException("an anonymous signer cannot prove a key");
        return Convert.ToBase64String(signature);
    }

    /// <summary>Whether <paramref name="signature"/> proves the key <paramref name="workerId"/> for <paramref name="challenge"/>; malformed input is simply false.</summary>
    public static bool Verify(string workerId, string challenge, string signature)
    {
        try
        {
            var key = Convert.FromBase64String(workerId);
            var bytes = Convert.FromBase64String(signature);
            return key.Length == 32 && bytes.Length == 64
                && PublicKey.TryImport(SignatureAlgorithm.Ed25519, key, KeyBlobFormat.RawPublicKey, out var publicKey) && publicKey is not null
                && SignatureAlgorithm.Ed25519.Verify(publicKey, Message(Convert.FromBase64String(challenge)), bytes);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="workerId"/> is the standard Base64 of a 32-byte Ed25519 public key.</summary>
    public static bool IsWorkerId(string? workerId)
    {
        Span<byte> key = stackalloc byte[33];
        return workerId is { Length: 44 } && Convert.TryFromBase64String(workerId, key, out var written) && written == 32
            && PublicKey.TryImport(SignatureAlgorithm.Ed25519, key[..32], KeyBlobFormat.RawPublicKey, out _);
    }

    private static byte[] Message(byte[] nonce) => [.. Prefix, .. nonce];
}
