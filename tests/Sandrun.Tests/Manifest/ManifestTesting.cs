using Sandrun.Manifest;

namespace Sandrun.Tests.Manifest;

/// <summary>Builds contexts and runs the parser for the manifest tests.</summary>
internal static class ManifestTesting
{
    public static ManifestContext Context(
        string[]? files = null, LimitOptions? limits = null, string[]? environments = null, string[]? interpreters = null) =>
        new(files ?? ["main.py"], limits ?? new LimitOptions(), environments ?? ["python-data", "node-web"], interpreters ?? [.. Interpreters.All]);

    public static JobManifest Parse(string? json, ManifestContext? context = null) => ManifestParser.Parse(json, context ?? Context());

    public static ManifestException Error(string? json, ManifestContext? context = null) =>
        Assert.Throws<ManifestException>(() => ManifestParser.Parse(json, context ?? Context()));

    /// <summary>Asserts that <paramref name="json"/> is refused with exactly <paramref name="field"/>.</summary>
    public static ManifestException AssertField(string field, string? json, ManifestContext? context = null)
    {
        var error = Error(json, context);
        Assert.Equal(field, error.Field);
        return error;
    }
}
