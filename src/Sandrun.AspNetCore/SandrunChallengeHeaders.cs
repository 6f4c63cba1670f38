namespace Sandrun.AspNetCore;

/// <summary>
/// The HTTP headers of the identity challenge (SPEC.md §7): a coordinator's <c>GET /health</c> carries
/// <see cref="Challenge"/>; a worker with a key answers with <see cref="Signature"/> (see <c>Sandrun.Receipts.WorkerChallenge</c>).
/// </summary>
public static class SandrunChallengeHeaders
{
    /// <summary>Request header: standard Base64 of 32 random bytes.</summary>
    public const string Challenge = "Sandrun-Challenge";

    /// <summary>Response header: standard Base64 of the worker's Ed25519 signature over <c>"sandrun-challenge-v1\n"</c> + the nonce.</summary>
    public const string Signature = "Sandrun-Challenge-Signature";
}
