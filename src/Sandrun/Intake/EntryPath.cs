using System.Text;

namespace Sandrun.Intake;

/// <summary>
/// A validated relative path inside the workspace: no '..', no absolute or drive-qualified form, no empty
/// components, no control characters or backslashes, valid UTF-8, within the length and depth limits.
/// '.' components are dropped, so <c>./a/./b</c> is <c>a/b</c> and <c>./</c> is the workspace root.
/// </summary>
internal sealed class EntryPath
{
    // Longest single component Linux accepts (NAME_MAX).
    private const int MaxComponentBytes = 255;

    private EntryPath(string[] components)
    {
        Components = components;
        Value = string.Join('/', components);
    }

    /// <summary>The path's components; empty for the workspace root.</summary>
    public IReadOnlyList<string> Components { get; }

    /// <summary>The components joined with '/'.</summary>
    public string Value { get; }

    /// <summary>The last component.</summary>
    public string Name => Components[^1];

    public bool IsRoot => Components.Count == 0;

    /// <summary>The first <paramref name="count"/> components joined with '/'.</summary>
    public string Prefix(int count) => string.Join('/', Components.Take(count));

    /// <summary>Validates an archive entry name (or hardlink target); returns why it is refused, or null.</summary>
    public static string? TryParse(string raw, IntakeLimits limits, out EntryPath path)
    {
        path = new EntryPath([]);
        if (CheckText(raw, limits) is { } textError)
        {
            return textError;
        }

        // One trailing '/' marks a directory entry; it is not an empty component.
        var components = new List<string>();
        foreach (var component in (raw.EndsWith('/') ? raw[..^1] : raw).Split('/'))
        {
            switch (component)
            {
                case "":
                    return "has an empty path component";
                case ".":
                    continue;
                case "..":
                    return "escapes the workspace (it has a '..' component)";
                default:
                    if (Encoding.UTF8.GetByteCount(component) > MaxComponentBytes)
                    {
                        return $"has a path component longer than {MaxComponentBytes} bytes";
                    }

                    components.Add(component);
                    break;
            }
        }

        if (components.Count > limits.MaxPathDepth)
        {
            return $"is nested deeper than {limits.MaxPathDepth} levels";
        }

        path = new EntryPath([.. components]);
        return null;
    }

    /// <summary>Validates the file name of a plain (non-archive) part: one component, nothing else.</summary>
    public static string? TryParseFileName(string raw, IntakeLimits limits, out EntryPath path)
    {
        path = new EntryPath([]);
        if (raw.Contains('/', StringComparison.Ordinal))
        {
            return "contains '/'";
        }

        if (raw is "." or "..")
        {
            return "is '.' or '..'";
        }

        return TryParse(raw, limits, out path);
    }

    /// <summary>
    /// Validates a symlink target and splits it into components for resolution ('.', '..' and empty components
    /// are kept: what they mean depends on where the link is).
    /// </summary>
    public static string? TryParseLinkTarget(string raw, IntakeLimits limits, out IReadOnlyList<string> components)
    {
        components = [];
        if (CheckText(raw, limits) is { } error)
        {
            return error;
        }

        components = raw.Split('/');
        return null;
    }

    private static string? CheckText(string raw, IntakeLimits limits)
    {
        if (raw.Length == 0)
        {
            return "is empty";
        }

        foreach (var c in raw)
        {
            if (char.IsControl(c))
            {
                return "contains a control character";
            }

            if (c == '\\')
            {
                return "contains a backslash";
            }

            // Readers decode names with replacement, so U+FFFD is where the bytes were not UTF-8.
            if (c == '\uFFFD')
            {
                return "is not valid UTF-8";
            }
        }

        if (Encoding.UTF8.GetByteCount(raw) > limits.MaxPathLength)
        {
            return $"is longer than {limits.MaxPathLength} bytes";
        }

        if (raw[0] == '/')
        {
            return "is an absolute path";
        }

        if (raw.Length >= 2 && char.IsAsciiLetter(raw[0]) && raw[1] == ':')
        {
            return "starts with a drive letter";
        }

        return null;
    }
}
