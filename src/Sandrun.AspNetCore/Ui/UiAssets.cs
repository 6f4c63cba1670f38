using System.Security.Cryptography;

namespace Sandrun.AspNetCore.Ui;

/// <summary>One embedded file of the UI, with its content type and a strong ETag of its bytes.</summary>
internal sealed record UiAsset(byte[] Content, string ContentType, string ETag);

/// <summary>The UI's files, embedded in this assembly (logical names <c>SandrunUi/&lt;file&gt;</c>), read once.</summary>
internal static class UiAssets
{
    private const string Prefix = "SandrunUi/";

    private static readonly Dictionary<string, UiAsset> Files = Load();

    public static UiAsset Index => Files["index.html"];

    public static UiAsset? Find(string name) => Files.GetValueOrDefault(name);

    private static Dictionary<string, UiAsset> Load()
    {
        var assembly = typeof(UiAssets).Assembly;
        var files = new Dictionary<string, UiAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var name = resource[Prefix.Length..];
            files[name] = new UiAsset(content, ContentType(name), $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..32]}\"");
        }

        return files;
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
