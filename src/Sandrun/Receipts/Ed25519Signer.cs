using NSec.Cryptography;
using Sandrun.Abstractions;

namespace Sandrun.Receipts;

/// <summary>
/// The worker's identity: an Ed25519 key (NSec/libsodium) stored as PKCS#8 PEM. The worker id is the
/// standard Base64 of the raw 32-byte public key (SPEC.md §6).
/// </summary>
public sealed class Ed25519Signer : IResultSigner, IDisposable
{
    private static readonly SignatureAlgorithm Scheme = SignatureAlgorithm.Ed25519;
    private readonly Key key;

    private Ed25519Signer(Key key)
    {
        this.key = key;
        WorkerId = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <inheritdoc />
    public string? WorkerId { get; }

    /// <inheritdoc />
    public string Algorithm => "Ed25519";

    /// <summary>A fresh random key.</summary>
    public static Ed25519Signer Generate() =>
        new(Key.Create(Scheme, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>A key from its 32-byte seed (RFC 8032 "secret key").</summary>
    public static Ed25519Signer FromSeed(ReadOnlySpan<byte> seed) =>
        new(Key.Import(Scheme, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Loads a PKCS#8 PEM private key; the message says what is wrong and how to make a key.</summary>
    /// <exception cref="KeyFileException">Missing, unreadable, corrupt, or not an Ed25519 key.</exception>
    public static Ed25519Signer Load(string path)
    {
        byte[] pem;
        try
        {
            pem = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"cannot read worker key '{path}': {e.Message}. Create one with: Sandrun.Server --generate-key {path}", e);
        }

        if (!System.Text.Encoding.ASCII.GetString(pem).Contains("-----BEGIN PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new KeyFileException($"worker key '{path}' is not a PKCS#8 PEM private key (expected '-----BEGIN PRIVATE KEY-----'). Create one with: Sandrun.Server --generate-key {path}");
        }

        if (!Key.TryImport(Scheme, pem, KeyBlobFormat.PkixPrivateKeyText, out var key, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }) || key is null)
        {
            throw new KeyFileException($"worker key '{path}' is corrupt or not an Ed25519 key. Create one with: Sandrun.Server --generate-key {path}");
        }

        return new Ed25519Signer(key);
    }

    /// <summary>Writes the key as PKCS#8 PEM with mode 0600; never overwrites an existing file.</summary>
    /// <exception cref="KeyFileException">The file exists or cannot be written.</exception>
    public void Save(string path)
    {
        try
        {
            using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(key.Export(KeyBlobFormat.PkixPrivateKeyText));
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new KeyFileException($"'{path}' already exists; refusing to overwrite a key", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KeyFileException($"cannot write worker key '{path}': {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public byte[]? Sign(ReadOnlySpan<byte> data) => Scheme.Sign(key, data);

    /// <inheritdoc />
    public void Dispose() => key.Dispose();
}

/// <summary>A worker key file problem; the message names the file and how to create a key.</summary>
public sealed class KeyFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyFileException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyFileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public KeyFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
