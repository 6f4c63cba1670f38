using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Sandrun.Cli.Terminal;

/// <summary>How <c>--json</c> prints: indented, quotes and non-ASCII text as they are (for terminals and scripts, not HTML).</summary>
internal static class PrintedJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        TypeInfoResolver = CliJsonContext.Default,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonTypeInfo<JsonElement> Element = (JsonTypeInfo<JsonElement>)Options.GetTypeInfo(typeof(JsonElement));

    private static readonly JsonTypeInfo<JsonNode> Node = (JsonTypeInfo<JsonNode>)Options.GetTypeInfo(typeof(JsonNode));

    /// <summary>A document the server sent.</summary>
    public static string Of(JsonElement e) => JsonSerializer.Serialize(e, Element);

    /// <summary>A document the CLI built.</summary>
    public static string Of(JsonNode node) => JsonSerializer.Serialize(node, Node);
}
