using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using Sandrun.Abstractions;

namespace Sandrun.Receipts;

/// <summary>
/// The identity challenge of SPEC.md §7: a coordinator sends 32 random bytes (a nonce, standard Base64); a worker with
/// a key answers with its Ed25519 signature over the bytes <c>"sandrun-challenge-v1\n"</c> followed by the nonce.
/// The prefix separates these signatures from receipt signatures (receipts are canonical JSON and start with <c>{</c>).
/// </summary>
public static class WorkerChallenge
{
    /// <summary>Length of a challenge nonce in bytes.</summary>
    public const int NonceBytes = 32;

    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes("sandrun-challenge-v1\n");

    /// <summary>A fresh challenge: standard Base64 of <see cref="NonceBytes"/> random bytes.</summary>
    public static string Create() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(NonceBytes));

    /// <summary>
    /// The worker's answer to <paramref name="challenge"/>: standard Base64 of the signature, or null when the worker
    /// is anonymous or the challenge is not the Base64 of exactly <see cref="NonceBytes"/> bytes.
    /// </summary>
    public static string? Answer(IResultSigner signer, string? challenge)
    {
        ArgumentNullException.ThrowIfNull(signer);
        if (signer.WorkerId is null || Nonce(challenge) is not { } nonce)
        {
            return null;
        }

        return signer.Sign(Message(nonce)) is { } signature ? Convert.ToBase64String(signature) : null;
    }

    /// <summary>
    /// True when <paramref name="signature"/> (Base64) is the signature of <paramref name="challenge"/>'s message by the
    /// key <paramref name="workerId"/> (Base64 raw Ed25519 public key). Any malformed input is simply "not valid".
    /// </summary>
    public static bool Verify(string challenge, string? signature, string workerId)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        ArgumentNullException.ThrowIfNull(workerId);
        if (signature is null || Nonce(challenge) is not { } nonce || Key(workerId) is not { } key)
        {
            return false;
        }

        Span<byte> signatureBytes = stackalloc byte[64];
        return Convert.TryFromBase64String(signature, signatureBytes, out var written) && written == 64
            && SignatureAlgorithm.Ed25519.Verify(key, Message(nonce), signatureBytes);
    }

    /// <summary>True when <paramref name="workerId"/> is a worker id: standard Base64 of a raw 32-byte Ed25519 public key.</summary>
    public static bool IsWorkerId(string? workerId) => workerId is not null && Key(workerId) is not null;

    private static PublicKey? Key(string workerId)
    {
        Span<byte> raw = stackalloc byte[32];
        return Convert.TryFromBase64String(workerId, raw, out var written) && written == 32
            && PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out var key) ? key : null;
    }

    private static byte[]? Nonce(string? challenge)
    {
        if (challenge is null || challenge.Length > 64)
        {
            return null;
        }

        var nonce = new byte[NonceBytes];
        return Convert.TryFromBase64String(challenge, nonce, out var written) && written == NonceBytes && Convert.ToBase64String(nonce) == challenge ? nonce : null;
    }

    private static byte[] Message(ReadOnlySpan<byte> nonce) => [.. Prefix, .. nonce];
}
