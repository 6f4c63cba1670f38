using System.Text.Encodings.Web;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using Sandrun.AspNetCore.Api;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>Tool results: JSON both as text (for any client) and as structured content, or a tool error.</summary>
internal static class ToolResults
{
    // The text is read by a model, not embedded in HTML: keep quotes and non-ASCII readable.
    private static readonly JsonSerializerOptions TextOptions = new(ApiJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static CallToolResult Json(object body)
    {
        var element = JsonSerializer.SerializeToElement(body, TextOptions);
        return new CallToolResult { Content = [new TextContentBlock { Text = element.GetRawText() }], StructuredContent = element };
    }

    /// <summary>A refusal the model can act on: <c>isError</c> set, the message names the problem and the fix.</summary>
    public static CallToolResult Error(string message) =>
        new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    public static CallToolResult JobNotFound(string jobId) =>
        Error($"job not found: no job '{(jobId.Length <= 100 ? jobId : jobId[..100] + "…")}' (unknown, or already deleted: jobs are kept for a limited time after they finish)");
}
