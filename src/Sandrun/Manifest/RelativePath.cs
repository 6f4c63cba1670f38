namespace Sandrun.Manifest;

/// <summary>Checks the workspace-relative paths a manifest names (the entrypoint and output globs).</summary>
internal static class RelativePath
{
    /// <summary>Longest path accepted, in characters (Linux PATH_MAX).</summary>
    internal const int MaxLength = 4096;

    /// <summary>
    /// Splits <paramref name="path"/> into its segments with <c>.</c> segments dropped, so <c>./main.py</c> and
    /// <c>main.py</c> name the same file; anything that could leave the workspace or is ambiguous is refused.
    /// </summary>
    /// <param name="path">The path as written in the manifest.</param>
    /// <param name="field">Field named in errors.</param>
    /// <param name="allowTrailingSlash">Whether a trailing '/' (a whole directory) is meaningful here.</param>
    /// <param name="trailingSlash">Whether the path ended in '/'.</param>
    /// <returns>The non-empty list of segments.</returns>
    public static string[] Split(string path, string field, bool allowTrailingSlash, out bool trailingSlash)
    {
        if (path.Length == 0)
        {
            throw new ManifestException(field, "must not be empty");
        }

        if (path.Length > MaxLength)
        {
            throw new ManifestException(field, $"is longer than {MaxLength} characters");
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new ManifestException(field, "must not contain NUL characters");
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            throw new ManifestException(field, "must use '/' as the separator (backslashes are not allowed)");
        }

        if (path.StartsWith('/'))
        {
            throw new ManifestException(field, $"must be relative to the workspace, not absolute: {ManifestException.Quote(path)}");
        }

        trailingSlash = path.EndsWith('/');
        if (trailingSlash && !allowTrailingSlash)
        {
            throw new ManifestException(field, $"must name a file, not a directory: {ManifestException.Quote(path)}");
        }

        var segments = (trailingSlash ? path[..^1] : path).Split('/');
        if (segments.Contains(".."))
        {
            throw new ManifestException(field, $"must not contain '..' segments: {ManifestException.Quote(path)}");
        }

        if (segments.Contains(string.Empty))
        {
            throw new ManifestException(field, $"must not contain empty segments ('//'): {ManifestException.Quote(path)}");
        }

        var kept = Array.FindAll(segments, s => s != ".");
        return kept.Length > 0 ? kept : throw new ManifestException(field, $"must name something inside the workspace: {ManifestException.Quote(path)}");
    }
}
