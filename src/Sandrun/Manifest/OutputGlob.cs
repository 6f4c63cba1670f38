namespace Sandrun.Manifest;

/// <summary>
/// One pattern of the manifest's <c>outputs</c> (SPEC.md §3), matched against '/'-separated paths relative to the
/// workspace. Syntax: <c>*</c> matches any characters within one path segment (never '/'), <c>?</c> one character
/// (never '/'), <c>**</c> as a whole segment any number of segments including none, and a trailing '/' selects
/// everything below that directory (<c>out/</c> is <c>out/**</c>). Anything else matches itself, case-sensitively;
/// dot files get no special treatment. <c>**</c> at the end needs at least one segment, so <c>out/**</c> does not
/// match a file named <c>out</c>. Brackets and braces are refused rather than taken literally, so that
/// <c>*.{csv,json}</c> fails loudly instead of silently matching nothing; use <c>?</c> for such characters.
/// </summary>
public sealed class OutputGlob
{
    /// <summary>Longest pattern accepted, in characters; bounds the host's matching work per file.</summary>
    internal const int MaxLength = 1024;

    private const int Star = -1, AnyChar = -2;

    // One entry per segment: null for "**", otherwise the segment's code points with Star/AnyChar for wildcards.
    private readonly int[]?[] segments;

    private OutputGlob(string pattern, int[]?[] segments)
    {
        Pattern = pattern;
        this.segments = segments;
    }

    /// <summary>The normalized pattern (<c>.</c> segments dropped), as kept in <see cref="JobManifest.Outputs"/>.</summary>
    public string Pattern { get; }

    /// <summary>Parses and checks a pattern.</summary>
    /// <param name="pattern">The pattern as written in the manifest.</param>
    /// <returns>The compiled pattern.</returns>
    /// <exception cref="ManifestException">The pattern is empty, absolute, contains <c>..</c>, <c>//</c>, a backslash,
    /// NUL, brackets or braces, or uses <c>**</c> inside a segment (Field <c>outputs</c>).</exception>
    public static OutputGlob Parse(string pattern) => Parse(pattern, "outputs");

    /// <summary>Whether a workspace file belongs to this pattern.</summary>
    /// <param name="relativePath">The file's '/'-separated path relative to the workspace, without a leading '/'.</param>
    /// <returns>True when the pattern selects the file.</returns>
    public bool IsMatch(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.Length == 0)
        {
            return false;
        }

        var path = Array.ConvertAll(relativePath.Split('/'), CodePoints);

        // matches[j]: pattern segments i.. match path segments j.. (filled from the last pattern segment backwards).
        var matches = new bool[path.Length + 1];
        matches[path.Length] = true;
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            var segment = segments[i];
            var next = new bool[path.Length + 1];
            for (var j = path.Length; j >= 0; j--)
            {
                next[j] = segment is null
                    ? (i == segments.Length - 1 ? j < path.Length : matches[j] || (j < path.Length && next[j + 1]))
                    : j < path.Length && matches[j + 1] && SegmentMatches(segment, path[j]);
            }

            matches = next;
        }

        return matches[0];
    }

    /// <summary>The normalized pattern.</summary>
    /// <returns><see cref="Pattern"/>.</returns>
    public override string ToString() => Pattern;

    /// <summary>Parses a pattern, naming <paramref name="field"/> (e.g. <c>outputs[2]</c>) in errors.</summary>
    internal static OutputGlob Parse(string pattern, string field)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Length > MaxLength)
        {
            throw new ManifestException(field, $"is longer than {MaxLength} characters");
        }

        var parts = RelativePath.Split(pattern, field, allowTrailingSlash: true, out var directory);
        foreach (var part in parts)
        {
            if (part.IndexOfAny(['[', ']', '{', '}']) >= 0)
            {
                throw new ManifestException(field, $"brackets and braces are not glob syntax here (supported: *, ?, **, trailing /); use ? to match such a character: {ManifestException.Quote(pattern)}");
            }

            if (part != "**" && part.Contains("**", StringComparison.Ordinal))
            {
                throw new ManifestException(field, $"'**' must be a whole path segment, as in '**/*.csv': {ManifestException.Quote(pattern)}");
            }
        }

        var compiled = new List<int[]?>(parts.Length + 1);
        compiled.AddRange(parts.Select(p => p == "**" ? null : Array.ConvertAll(CodePoints(p), c => c switch { '*' => Star, '?' => AnyChar, _ => c })));
        if (directory)
        {
            compiled.Add(null);
        }

        return new OutputGlob(string.Join('/', parts) + (directory ? "/" : string.Empty), [.. compiled]);
    }

    // '?' stands for one character as people count them, so text is compared by code point rather than UTF-16 unit.
    private static int[] CodePoints(string text)
    {
        var result = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            result.Add(rune.Value);
        }

        return [.. result];
    }

    // Single-segment wildcard match; on a mismatch after '*' it retries with the star absorbing one more character.
    private static bool SegmentMatches(int[] pattern, int[] text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == Star)
            {
                starP = p++;
                starT = t;
            }
            else if (p < pattern.Length && (pattern[p] == AnyChar || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                t = ++starT;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == Star)
        {
            p++;
        }

        return p == pattern.Length;
    }
}
