using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Sandrun.Cli.Terminal;

/// <summary>Source-generated serialization of what <c>--json</c> prints (the CLI reads everything else with JsonDocument).</summary>
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonNode))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
