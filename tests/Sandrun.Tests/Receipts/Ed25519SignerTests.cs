using NSec.Cryptography;
using Sandrun.Receipts;

namespace Sandrun.Tests.Receipts;

public sealed class Ed25519SignerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sandrun-keys").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    // RFC 8032 §7.1 TEST 1–3: secret key (seed), public key, message, signature.
    [Theory]
    [InlineData("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    [InlineData("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a")]
    public void Rfc8032_test_vectors(string seed, string publicKey, string message, string signature)
    {
        using var signer = Ed25519Signer.FromSeed(Convert.FromHexString(seed));
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString(publicKey)), signer.WorkerId);
        Assert.Equal(signature, Convert.ToHexStringLower(signer.Sign(Convert.FromHexString(message))!));
        var key = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(publicKey), KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(key, Convert.FromHexString(message), Convert.FromHexString(signature)));
    }

    [Fact]
    public void Keys_round_trip_through_pkcs8_pem_with_mode_0600_and_are_never_overwritten()
    {
        var path = Path.Combine(dir, "worker_key.pem");
        using var generated = Ed25519Signer.Generate();
        generated.Save(path);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using var loaded = Ed25519Signer.Load(path);
        Assert.Equal(generated.WorkerId, loaded.WorkerId);
        Assert.Equal(generated.Sign("x"u8), loaded.Sign("x"u8));
        var before = File.ReadAllBytes(path);
        var e = Assert.Throws<KeyFileException>(() => Ed25519Signer.Generate().Save(path));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("missing", "cannot read")]
    [InlineData("not-pem", "not a PKCS#8 PEM")]
    [InlineData("corrupt", "corrupt or not an Ed25519 key")]
    [InlineData("rsa", "corrupt or not an Ed25519 key")]
    public void Bad_key_files_get_errors_naming_the_file_and_the_fix(string kind, string expected)
    {
        var path = Path.Combine(dir, kind + ".pem");
        switch (kind)
        {
            case "not-pem":
                File.WriteAllText(path, "hello");
                break;
            case "corrupt":
                File.WriteAllText(path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
                break;
            case "rsa":
                using (var rsa = System.Security.Cryptography.RSA.Create(2048))
                {
                    File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
                }

                break;
        }

        var e = Assert.Throws<KeyFileException>(() => Ed25519Signer.Load(path));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        if (kind != "missing")
        {
            Assert.Contains("--generate-key", e.Message, StringComparison.Ordinal);
        }
    }
}
