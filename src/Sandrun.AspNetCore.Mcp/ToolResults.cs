using System.Text.Encodings.Web;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>Tool results: JSON both as text (for any client) and as structured content, or a tool error.</summary>
internal static class ToolResults
{
    // The text is read by a model, not embedded in HTML: keep quotes and non-ASCII readable.
    private static readonly McpJsonContext Text = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static CallToolResult Json(Dictionary<string, object?> body)
    {
        var element = JsonSerializer.SerializeToElement(body, Text.DictionaryStringObject);
        return new CallToolResult { Content = [new TextContentBlock { Text = element.GetRawText() }], StructuredContent = element };
    }

    /// <summary>A refusal the model can act on: <c>isError</c> set, the message names the problem and the fix.</summary>
    public static CallToolResult Error(string message) =>
        new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    /// <summary>The one place the engine's refusals become tool errors: what was refused, why, and when to retry.</summary>
    public static CallToolResult Refused(SubmitException refusal)
    {
        var what = refusal.Kind switch
        {
            SubmitRefusal.InvalidUpload => "invalid files",
            SubmitRefusal.UploadTooLarge => "files too large",
            SubmitRefusal.InvalidManifest => "invalid job",
            SubmitRefusal.QuotaExceeded => "quota exceeded",
            SubmitRefusal.QueueFull => "queue full",
            _ => "refused",
        };
        var retry = refusal.RetryAfter is { } wait ? $" (retry after {Math.Max(1, Math.Ceiling(wait.TotalSeconds))} s)" : "";
        return Error($"{what}: {refusal.Details}{retry}");
    }

    public static CallToolResult JobNotFound(string jobId) =>
        Error($"job not found: no job '{(jobId.Length <= 100 ? jobId : jobId[..100] + "…")}' (unknown, or already deleted: jobs are kept for a limited time after they finish)");
}
