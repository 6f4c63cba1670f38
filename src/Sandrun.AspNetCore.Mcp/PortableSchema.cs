using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>
/// Rewrites a tool's generated input schema into the single-<c>type</c> dialect every MCP client can map: the SDK
/// writes an optional parameter (<c>string? x = null</c>) as <c>"type": ["string", "null"], "default": null</c>, which
/// clients that translate schemas to OpenAPI-style function declarations reject or strip (the Inspector's
/// <c>--strict</c> portability check flags it). Optional parameters are not in <c>required</c>, so leaving them out
/// already means "not given"; the schema says the type they have when present.
/// </summary>
internal static class PortableSchema
{
    /// <summary>The schema with every <c>[T, "null"]</c> type narrowed to <c>T</c> and every <c>"default": null</c> removed.</summary>
    public static JsonElement Rewrite(JsonElement schema)
    {
        var node = JsonNode.Parse(schema.GetRawText()) ?? throw new ArgumentException("the schema is JSON null", nameof(schema));
        Narrow(node);
        using var rewritten = JsonDocument.Parse(node.ToJsonString());
        return rewritten.RootElement.Clone();
    }

    private static void Narrow(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["type"] is JsonArray types)
                {
                    var named = types.Select(t => t?.GetValue<string>()).Where(t => t is not null and not "null").ToList();
                    if (named.Count == 1)
                    {
                        obj["type"] = named[0];
                    }
                }

                if (obj.TryGetPropertyValue("default", out var value) && value is null)
                {
                    obj.Remove("default");
                }

                foreach (var (_, child) in obj.ToList())
                {
                    if (child is not null)
                    {
                        Narrow(child);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        Narrow(child);
                    }
                }

                break;
        }
    }
}
