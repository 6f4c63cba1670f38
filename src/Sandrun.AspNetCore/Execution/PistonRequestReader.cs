using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Execution;

/// <summary>
/// Reads Piston v2's execute request (<c>{language, version, files:[{name?, content, encoding?}], stdin?, args?,
/// run_timeout?, run_cpu_time?, run_memory_limit?, compile_*?}</c>), with Piston's validation messages. Times are in
/// milliseconds and memory in bytes as Piston takes them (-1: the server's default); compile settings are accepted
/// and unused (every language here is interpreted); other fields are ignored, as Piston does.
/// </summary>
internal static class PistonRequestReader
{
    public static ExecuteRequestReader.Request Read(ReadOnlyMemory<byte> body, IReadOnlyList<Language> installed, IReadOnlyDictionary<string, string> versions, LimitOptions limits)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new OneCallRequestException("body", $"is not valid JSON ({e.Message})");
        }

        if (root is not JsonObject request)
        {
            throw new OneCallRequestException("body", "must be a JSON object");
        }

        var languageName = Text(request, "language") ?? throw Required("language", "a string");
        var version = Text(request, "version") ?? throw Required("version", "a string");
        var language = Languages.Find(languageName);
        var installedVersion = language is null ? null : versions.GetValueOrDefault(language.Interpreter);
        if (language is null || !installed.Contains(language) || installedVersion is null || !VersionMatch.Matches(version, installedVersion))
        {
            throw new OneCallRequestException("language", $"{Short(languageName)}-{Short(version)} runtime is unknown");
        }

        if (request["files"] is not JsonArray { Count: > 0 } array)
        {
            throw Required("files", "an array");
        }

        var files = new List<OneCallFile>(array.Count);
        long total = 0;
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject file)
            {
                throw new OneCallRequestException($"files[{i}]", $"files[{i}] is required to be an object");
            }

            var content = Text(file, "content", $"files[{i}].") ?? throw Required($"files[{i}].content", "a string");
            var bytes = (Text(file, "encoding", $"files[{i}].") ?? "utf8") switch
            {
                "utf8" => Encoding.UTF8.GetBytes(content),
                "base64" => Decode(() => Convert.FromBase64String(content), i),
                "hex" => Decode(() => Convert.FromHexString(content), i),
                var other => throw new OneCallRequestException($"files[{i}].encoding", $"files[{i}].encoding must be one of utf8, base64, hex (got {Short(other)})"),
            };
            total += bytes.Length;
            if (total > limits.MaxUploadBytes)
            {
                throw new OneCallRequestException($"files[{i}].content", $"files total more than the upload limit of {limits.MaxUploadBytes} bytes", tooLarge: true);
            }

            // Piston names an unnamed file itself; the first file is the one it runs.
            files.Add(new OneCallFile(Text(file, "name", $"files[{i}].") is { } given ? Name(given, i) : i == 0 ? language.EntryFile : $"file{i}.code", bytes));
        }

        var fields = new JsonObject();
        if (Text(request, "stdin") is { Length: > 0 } stdin)
        {
            fields["stdin"] = stdin;
        }

        if (request["args"] is { } args)
        {
            if (args is not JsonArray list || list.Any(a => a?.GetValueKind() != JsonValueKind.String))
            {
                throw Required("args", "an array of strings");
            }

            fields["args"] = list.DeepClone();
        }

        if (Limit(request, "run_timeout", limits.MaxTimeoutSeconds * 1000L) is { } timeoutMs)
        {
            fields["timeout"] = (int)Math.Max(1, (timeoutMs + 999) / 1000);
        }

        if (Limit(request, "run_cpu_time", limits.MaxCpuSeconds * 1000L) is { } cpuMs)
        {
            fields["cpu_seconds"] = (int)Math.Max(1, (cpuMs + 999) / 1000);
        }

        if (Limit(request, "run_memory_limit", (long)limits.MaxMemoryMb << 20) is { } memory)
        {
            fields["memory_mb"] = (int)Math.Max(16, (memory + (1 << 20) - 1) >> 20);
        }

        return new ExecuteRequestReader.Request(language, files, null, fields, null);
    }

    /// <summary>A Piston limit: absent or -1 means the server's default; above the configured limit is refused as Piston does.</summary>
    private static long? Limit(JsonObject request, string name, long max)
    {
        var node = request[name];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<double>(out var value) || double.IsNaN(value))
        {
            throw Required(name, "a number");
        }

        if (value < 0)
        {
            return value == -1 ? null : throw new OneCallRequestException(name, $"{name} must be a non-negative integer");
        }

        return value <= max
            ? (long)Math.Ceiling(value)
            : throw new OneCallRequestException(name, string.Create(CultureInfo.InvariantCulture, $"{name} cannot exceed the configured limit of {max}"));
    }

    /// <summary>The upload's file-name rule, with the field named first as Piston words its errors.</summary>
    private static string Name(string name, int index)
    {
        try
        {
            return ExecuteRequestReader.FileName(name, $"files[{index}].name");
        }
        catch (OneCallRequestException e)
        {
            throw new OneCallRequestException(e.Field, $"{e.Field} {e.Problem}");
        }
    }

    private static byte[] Decode(Func<byte[]> decode, int index)
    {
        try
        {
            return decode();
        }
        catch (FormatException)
        {
            throw new OneCallRequestException($"files[{index}].content", $"files[{index}].content is not valid for its encoding");
        }
    }

    private static string? Text(JsonObject obj, string name, string prefix = "")
    {
        var node = obj[name];
        if (node is null)
        {
            return null;
        }

        return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : throw Required(prefix + name, "a string");
    }

    private static OneCallRequestException Required(string field, string what) => new(field, $"{field} is required as {what}");

    private static string Short(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
