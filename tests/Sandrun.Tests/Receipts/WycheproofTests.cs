using NSec.Cryptography;
using Sandrun.Receipts;

namespace Sandrun.Tests.Receipts;

/// <summary>All 112 Wycheproof Ed25519 verification vectors (TestData/wycheproof-ed25519.txt).</summary>
public sealed class WycheproofTests
{
    [Fact]
    public void Every_vector_verifies_as_expected_and_valid_ones_are_reproduced_by_the_signer()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Receipts", "TestData", "wycheproof-ed25519.txt"));
        string pk = string.Empty, sk = string.Empty;
        var seen = new List<int>();
        foreach (var line in lines.Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var f = line.Split(' ');
            if (f[0] == "key")
            {
                (pk, sk) = (f[1], f[2]);
                continue;
            }

            var id = int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture);
            var msg = f[1] == "-" ? [] : Convert.FromHexString(f[1]);
            var sig = f[2] == "-" ? [] : Convert.FromHexString(f[2]);
            var valid = f[3] == "valid";
            seen.Add(id);

            var key = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(pk), KeyBlobFormat.RawPublicKey);
            var verified = sig.Length == SignatureAlgorithm.Ed25519.SignatureSize && SignatureAlgorithm.Ed25519.Verify(key, msg, sig);
            Assert.True(valid == verified, $"tcId {id}: expected {(valid ? "valid" : "invalid")}");
            if (valid)
            {
                using var signer = Ed25519Signer.FromSeed(Convert.FromHexString(sk));
                Assert.Equal(Convert.ToBase64String(Convert.FromHexString(pk)), signer.WorkerId);
                Assert.True(signer.Sign(msg)!.AsSpan().SequenceEqual(sig), $"tcId {id}: signature not reproduced");
            }
        }

        Assert.Equal(Enumerable.Range(1, 112), seen);
    }
}
