using System.Text.Json;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>
/// Checks tool arguments against the tool's input schema before the call, so a wrong type, a missing argument or a
/// misspelt name comes back as a tool error naming it (argument binding would only report "an error occurred").
/// Covers the schema shapes the tools use: <c>type</c> (one or a list), <c>items</c>, <c>additionalProperties</c>.
/// </summary>
internal static class ArgumentCheck
{
    public static string? Problem(string tool, JsonElement schema, IDictionary<string, JsonElement>? arguments)
    {
        var given = arguments ?? new Dictionary<string, JsonElement>();
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        var names = properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(o => o.Name).ToList() : [];
        foreach (var name in given.Keys)
        {
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                return $"{tool}: unknown argument '{Shorten(name)}'; it takes {string.Join(", ", names)}";
            }
        }

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()).OfType<string>())
            {
                if (!given.ContainsKey(name))
                {
                    return $"{tool}: missing required argument '{name}'";
                }
            }
        }

        foreach (var (name, value) in given)
        {
            // An optional argument sent as null means "not given", as the tool's C# parameter default says.
            if (value.ValueKind == JsonValueKind.Null && !IsRequired(schema, name))
            {
                continue;
            }

            if (Mismatch(name, properties.GetProperty(name), value) is { } problem)
            {
                return $"{tool}: {problem}";
            }
        }

        return null;
    }

    private static bool IsRequired(JsonElement schema, string name) =>
        schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array
        && required.EnumerateArray().Any(r => r.GetString() == name);

    private static string? Mismatch(string path, JsonElement schema, JsonElement value)
    {
        if (schema.TryGetProperty("type", out var type) && !Allowed(type).Any(t => Matches(t, value)))
        {
            return $"'{path}' must be {string.Join(" or ", Allowed(type).Select(Article))}, not {Describe(value)}";
        }

        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (Mismatch($"{path}[{i++}]", items, item) is { } problem)
                {
                    return problem;
                }
            }
        }

        if (value.ValueKind == JsonValueKind.Object && schema.TryGetProperty("additionalProperties", out var each) && each.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                if (Mismatch($"{path}[\"{Shorten(property.Name)}\"]", each, property.Value) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static IEnumerable<string> Allowed(JsonElement type) =>
        type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString() ?? "") : [type.GetString() ?? ""];

    private static bool Matches(string type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };

    private static string Article(string type) => type switch
    {
        "integer" => "a whole number (32-bit)",
        "array" or "object" or "integer" => "an " + type,
        "null" => "null",
        _ => "a " + type,
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => $"the number {Shorten(value.GetRawText())}",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
