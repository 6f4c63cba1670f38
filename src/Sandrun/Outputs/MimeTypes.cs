using System.Collections.Frozen;

namespace Sandrun.Outputs;

/// <summary>Content types for downloads, by extension; unknown → application/octet-stream.</summary>
public static class MimeTypes
{
    private static readonly FrozenDictionary<string, string> ByExtension = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "text/plain", [".log"] = "text/plain", [".md"] = "text/markdown", [".csv"] = "text/csv", [".tsv"] = "text/tab-separated-values",
        [".json"] = "application/json", [".xml"] = "application/xml", [".html"] = "text/html", [".htm"] = "text/html", [".yaml"] = "application/yaml",
        [".yml"] = "application/yaml", [".py"] = "text/x-python", [".js"] = "text/javascript", [".r"] = "text/plain", [".sh"] = "text/x-shellscript",
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".gif"] = "image/gif", [".svg"] = "image/svg+xml",
        [".webp"] = "image/webp", [".pdf"] = "application/pdf", [".zip"] = "application/zip", [".gz"] = "application/gzip",
        [".tar"] = "application/x-tar", [".parquet"] = "application/vnd.apache.parquet", [".npy"] = "application/octet-stream",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The content type for <paramref name="path"/>.</summary>
    public static string For(string path) =>
        ByExtension.TryGetValue(Path.GetExtension(path), out var type) ? type : "application/octet-stream";
}
