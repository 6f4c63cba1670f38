using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Execution;

/// <summary>
/// Reads <c>POST /execute</c>'s JSON (SPEC.md §9): <c>{language, version?, code? | files:[{name, content, encoding}],
/// entrypoint?, args?, stdin?, env?, timeout?, memory_mb?, cpu_seconds?, wait?}</c>. Every problem names its field;
/// the manifest fields (<c>args</c>, <c>env</c>, <c>stdin</c>, limits) pass through to the manifest's own checks.
/// </summary>
internal static class ExecuteRequestReader
{
    /// <summary>A parsed request.</summary>
    public sealed record Request(Language Language, IReadOnlyList<OneCallFile> Files, string? Entrypoint, JsonObject ManifestFields, TimeSpan? Wait);

    private static readonly string[] Fields =
        ["language", "version", "code", "files", "entrypoint", "args", "stdin", "env", "timeout", "memory_mb", "cpu_seconds", "wait"];

    private static readonly string[] ManifestFields = ["args", "stdin", "env", "timeout", "memory_mb", "cpu_seconds"];

    private static readonly string[] FileFields = ["name", "content", "encoding"];

    /// <summary>Most files a request may carry.</summary>
    private const int MaxFiles = 1000;

    public static Request Read(ReadOnlyMemory<byte> body, IReadOnlyList<Language> installed, IReadOnlyDictionary<string, string> versions, long maxFileBytes, int maxWaitSeconds)
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
            throw new OneCallRequestException("body", "must be a JSON object such as {\"language\": \"python\", \"code\": \"print(42)\"}");
        }

        foreach (var (name, _) in request)
        {
            if (!Fields.Contains(name, StringComparer.Ordinal))
            {
                throw new OneCallRequestException(Short(name), $"unknown field; the fields are {string.Join(", ", Fields)}");
            }
        }

        var language = FindLanguage(String(request, "language") ?? throw new OneCallRequestException("language", $"is required; available: {Names(installed)}"), installed);
        var version = String(request, "version");
        var installedVersion = versions.GetValueOrDefault(language.Interpreter, RuntimeVersions.Unknown);
        if (!VersionMatch.Matches(version, installedVersion))
        {
            throw new OneCallRequestException("version", $"{language.Name} {Short(version!)} is not available; this server has {language.Name} {installedVersion} (or send \"*\")");
        }

        var code = String(request, "code");
        var hasFiles = request["files"] is not null;
        if (code is not null && hasFiles)
        {
            throw new OneCallRequestException("code", "give either code or files, not both");
        }

        var entrypoint = String(request, "entrypoint");
        IReadOnlyList<OneCallFile> files;
        if (code is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(code);
            if (bytes.Length > maxFileBytes)
            {
                throw new OneCallRequestException("code", $"is {bytes.Length} bytes; the upload limit is {maxFileBytes}", tooLarge: true);
            }

            files = [new OneCallFile(entrypoint is null ? language.EntryFile : FileName(entrypoint, "entrypoint"), bytes)];
        }
        else if (hasFiles)
        {
            files = Files(request["files"]!, language, maxFileBytes);
        }
        else
        {
            throw new OneCallRequestException("code", "is required (or files)");
        }

        var fields = new JsonObject();
        foreach (var name in ManifestFields)
        {
            if (request[name] is { } value)
            {
                fields[name] = value.DeepClone();
            }
        }

        TimeSpan? wait = null;
        if (request["wait"] is { } waitNode)
        {
            if (waitNode.GetValueKind() != JsonValueKind.Number || !waitNode.AsValue().TryGetValue<double>(out var seconds) || seconds < 0 || seconds > maxWaitSeconds)
            {
                throw new OneCallRequestException("wait", $"must be a number of seconds from 0 to {maxWaitSeconds}");
            }

            wait = TimeSpan.FromSeconds(seconds);
        }

        return new Request(language, files, entrypoint, fields, wait);
    }

    /// <summary>The installed language a name or alias means, or a refusal listing what is available.</summary>
    public static Language FindLanguage(string name, IReadOnlyList<Language> installed)
    {
        var language = Languages.Find(name);
        if (language is null || !installed.Contains(language))
        {
            throw new OneCallRequestException("language", $"'{Short(name)}' is {(language is null ? "unknown" : "not installed on this server")}; available: {Names(installed)}");
        }

        return language;
    }

    private static List<OneCallFile> Files(JsonNode node, Language language, long maxFileBytes)
    {
        if (node is not JsonArray array || array.Count == 0)
        {
            throw new OneCallRequestException("files", "must be a non-empty array of {name, content, encoding}");
        }

        if (array.Count > MaxFiles)
        {
            throw new OneCallRequestException("files", $"has {array.Count} files; at most {MaxFiles} are allowed", tooLarge: true);
        }

        var files = new List<OneCallFile>(array.Count);
        long total = 0;
        for (var i = 0; i < array.Count; i++)
        {
            var field = $"files[{i}]";
            if (array[i] is not JsonObject file)
            {
                throw new OneCallRequestException(field, "must be an object {name, content, encoding}");
            }

            foreach (var (name, _) in file)
            {
                if (!FileFields.Contains(name, StringComparer.Ordinal))
                {
                    throw new OneCallRequestException($"{field}.{Short(name)}", "unknown field; a file has name, content and encoding");
                }
            }

            var content = String(file, "content", field + ".") ?? throw new OneCallRequestException(field + ".content", "is required");
            var encoding = String(file, "encoding", field + ".") ?? "utf8";
            byte[] bytes = encoding switch
            {
                "utf8" or "utf-8" => Encoding.UTF8.GetBytes(content),
                "base64" => Base64(content, field + ".content"),
                _ => throw new OneCallRequestException(field + ".encoding", $"must be \"utf8\" or \"base64\", not '{Short(encoding)}'"),
            };
            total += bytes.Length;
            if (total > maxFileBytes)
            {
                throw new OneCallRequestException(field + ".content", $"brings the files to {total} bytes; the upload limit is {maxFileBytes}", tooLarge: true);
            }

            // The first unnamed file is the program, as Piston takes it; later unnamed ones get numbered names.
            var fileName = String(file, "name", field + ".") is { } given ? FileName(given, field + ".name") : i == 0 ? language.EntryFile : $"file{i}";
            files.Add(new OneCallFile(fileName, bytes));
        }

        return files;
    }

    /// <summary>
    /// A file name a request gives, refused when no archive entry could carry it (empty, NUL, over 4096 characters);
    /// the upload's own path rules (no <c>..</c>, no absolute path) then apply to it as to any upload.
    /// </summary>
    public static string FileName(string name, string field) =>
        name.Length is > 0 and <= 4096 && !name.Contains('\0', StringComparison.Ordinal)
            ? name
            : throw new OneCallRequestException(field, "must be a relative path of 1 to 4096 characters without NUL, such as 'lib/util.py'");

    private static byte[] Base64(string content, string field)
    {
        try
        {
            return Convert.FromBase64String(content);
        }
        catch (FormatException)
        {
            throw new OneCallRequestException(field, "is not valid base64 (encoding is \"base64\")");
        }
    }

    /// <summary>A string field, null when absent or JSON null; any other type is refused naming the field.</summary>
    public static string? String(JsonObject obj, string name, string prefix = "")
    {
        var node = obj[name];
        if (node is null)
        {
            return null;
        }

        return node.GetValueKind() == JsonValueKind.String
            ? node.GetValue<string>()
            : throw new OneCallRequestException(prefix + name, $"must be a string, not {node.GetValueKind().ToString().ToLowerInvariant()}");
    }

    private static string Names(IReadOnlyList<Language> installed) => string.Join(", ", installed.Select(l => l.Name));

    private static string Short(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
