using System.Text.Json;

namespace Sandrun.Cli.Client;

/// <summary>
/// Reads fields of the server's JSON documents the way the CLI needs them: a field that is absent, null or of another
/// type is simply null (the CLI reports what it can rather than failing on a server's variation).
/// </summary>
internal static class JsonFields
{
    /// <summary>A string property, or null.</summary>
    public static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number property, or null.</summary>
    public static double? Number(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    /// <summary>A number property that is a 32-bit integer, or null.</summary>
    public static int? Integer(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
}
