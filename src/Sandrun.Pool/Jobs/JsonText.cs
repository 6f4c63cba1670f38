using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandrun.Pool.Jobs;

/// <summary>JSON text of the documents the pool rewrites, escaped as little as JSON needs (a receipt stays readable).</summary>
internal static class JsonText
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Of(JsonNode node) => node.ToJsonString(Options);
}
