using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sandrun.Manifest;

/// <summary>Strict, typed reading of the manifest's JSON, with every error naming the field it concerns.</summary>
internal static class ManifestJson
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses the manifest text; JSON syntax errors become Field <c>manifest</c> with a 1-based position.</summary>
    public static JsonDocument Parse(string json)
    {
        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(json);
        }
        catch (EncoderFallbackException)
        {
            throw new ManifestException("manifest", "is not valid Unicode text (it contains an unpaired surrogate)");
        }

        try
        {
            return JsonDocument.Parse(utf8, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            // The reader's message ends in 0-based "LineNumber: 0 | BytePositionInLine: 7."; people count from 1.
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            message = cut > 0 ? message[..cut] : message;
            var position = e.LineNumber is { } line && e.BytePositionInLine is { } column
                ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {column + 1})")
                : string.Empty;
            throw new ManifestException("manifest", $"is not valid JSON: {message.TrimEnd(' ', '.', '|')}{position}");
        }
    }

    /// <summary>
    /// The properties of a JSON object by name. Duplicate names are refused (JSON parsers disagree on which one wins);
    /// with <paramref name="known"/>, so are names not in it, suggesting the closest known one to catch typos.
    /// </summary>
    /// <param name="element">The value that must be an object.</param>
    /// <param name="field">The object's own field name, for a type error.</param>
    /// <param name="prefix">Prepended to property names in errors (<c>""</c>, <c>"env."</c>, <c>"gpu."</c>).</param>
    /// <param name="known">The allowed property names, or null to allow any.</param>
    public static Dictionary<string, JsonElement> Properties(JsonElement element, string field, string prefix, IReadOnlyList<string>? known)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ManifestException(field, $"must be a JSON object (got {Describe(element)})");
        }

        var properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var name = PropertyName(property, field);
            if (known is not null && !known.Contains(name, StringComparer.Ordinal))
            {
                var suggestion = Closest(name, known) is { } close ? $"did you mean '{close}'? " : string.Empty;
                throw new ManifestException(prefix + name, $"unknown field; {suggestion}known fields: {string.Join(", ", known)}");
            }

            if (!properties.TryAdd(name, property.Value))
            {
                throw new ManifestException(prefix + name, "appears more than once");
            }
        }

        return properties;
    }

    /// <summary>The property <paramref name="name"/> unless it is absent or JSON null (both mean "use the default").</summary>
    public static bool TryGet(IReadOnlyDictionary<string, JsonElement> properties, string name, out JsonElement value) =>
        properties.TryGetValue(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>A JSON string, which must be valid Unicode and free of NUL characters (neither survives argv or a path).</summary>
    public static string String(JsonElement element, string field)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new ManifestException(field, $"must be a string (got {Describe(element)})");
        }

        string value;
        try
        {
            value = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The reader refuses to decode an unpaired surrogate escape such as "\ud800".
            throw new ManifestException(field, "must be valid Unicode (it contains an unpaired surrogate escape)");
        }

        return value.Contains('\0', StringComparison.Ordinal)
            ? throw new ManifestException(field, "must not contain NUL characters")
            : value;
    }

    /// <summary>A JSON array; its elements are checked by the caller.</summary>
    public static JsonElement Array(JsonElement element, string field, string ofWhat)
    {
        return element.ValueKind == JsonValueKind.Array
            ? element
            : throw new ManifestException(field, $"must be an array of {ofWhat} (got {Describe(element)})");
    }

    /// <summary>
    /// A JSON number with an integral value from <paramref name="min"/> to <paramref name="max"/>. JSON has a single
    /// number type, so <c>300.0</c> and <c>3e2</c> are 300; <c>1.5</c>, <c>"10"</c> and <c>true</c> are refused.
    /// </summary>
    /// <param name="element">The value.</param>
    /// <param name="field">Field named in errors.</param>
    /// <param name="min">Smallest allowed value.</param>
    /// <param name="max">Largest allowed value.</param>
    /// <param name="expectation">What is expected, for the error, e.g. "an integer from 1 to 3600 (seconds)".</param>
    public static int Integer(JsonElement element, string field, int min, int max, string expectation)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetDecimal(out var value)
            && value == decimal.Truncate(value) && value >= min && value <= max)
        {
            return (int)value;
        }

        throw new ManifestException(field, $"must be {expectation} (got {Describe(element)})");
    }

    /// <summary>A JSON <c>true</c> or <c>false</c>.</summary>
    public static bool Boolean(JsonElement element, string field) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ManifestException(field, $"must be true or false (got {Describe(element)})"),
    };

    /// <summary>A finite JSON number greater than zero.</summary>
    public static double PositiveNumber(JsonElement element, string field)
    {
        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var value) && double.IsFinite(value) && value > 0
            ? value
            : throw new ManifestException(field, $"must be a number greater than 0 (got {Describe(element)})");
    }

    /// <summary>A property's name, which like any string must be valid Unicode.</summary>
    private static string PropertyName(JsonProperty property, string field)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            throw new ManifestException(field, "contains a field name that is not valid Unicode (an unpaired surrogate escape)");
        }
    }

    /// <summary>A short description of a JSON value for error messages: the literal for numbers and booleans, else its type.</summary>
    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => element.GetRawText() is var text && text.Length <= 40 ? text : "a number",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => "null",
    };

    // A known name within two edits, differing only in case, or sharing a prefix ("memory" for "memory_mb") is almost
    // certainly what was meant.
    private static string? Closest(string name, IReadOnlyList<string> known)
    {
        var lower = name.ToLowerInvariant();
        var best = known.MinBy(k => EditDistance(lower, k));
        if (best is not null && EditDistance(lower, best) <= 2)
        {
            return best;
        }

        return known.FirstOrDefault(k => Math.Min(k.Length, lower.Length) >= 3
            && (k.StartsWith(lower, StringComparison.Ordinal) || lower.StartsWith(k, StringComparison.Ordinal)));
    }

    // Levenshtein distance; only distances up to 2 matter, so clearly longer or shorter names are not compared.
    private static int EditDistance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 2)
        {
            return int.MaxValue;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
