using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace Sandrun.Receipts;

/// <summary>Checks a receipt's signature, and that the receipt names the expected worker.</summary>
public static class ReceiptVerifier
{
    /// <summary>
    /// True when <paramref name="signature"/> (Base64) is a valid Ed25519 signature of the UTF-8 bytes of
    /// <paramref name="receipt"/> by the key <paramref name="workerId"/> (Base64 raw public key), and the
    /// receipt's own <c>worker_id</c> is that key. Any malformed input is simply "not valid".
    /// </summary>
    public static bool Verify(string receipt, string signature, string workerId)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(workerId);
        try
        {
            var keyBytes = Convert.FromBase64String(workerId);
            var signatureBytes = Convert.FromBase64String(signature);
            if (keyBytes.Length != 32 || signatureBytes.Length != 64
                || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, keyBytes, KeyBlobFormat.RawPublicKey, out var key) || key is null)
            {
                return false;
            }

            if (!SignatureAlgorithm.Ed25519.Verify(key, Encoding.UTF8.GetBytes(receipt), signatureBytes))
            {
                return false;
            }

            return JsonNode.Parse(receipt)?["worker_id"]?.GetValue<string>() == workerId;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return false;
        }
    }
}
