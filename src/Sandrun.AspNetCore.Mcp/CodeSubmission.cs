using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Sandrun.Intake;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>Turns an <c>execute_*</c> tool call into what <c>POST /submit</c> would carry: one tar of files and a manifest.</summary>
internal static class CodeSubmission
{
    /// <summary>
    /// Builds the upload and manifest. Values above the server's maxima are clamped (and said so in
    /// <paramref name="notes"/>); values no job could run with are refused with <see cref="ToolRefusalException"/>.
    /// </summary>
    public static (UploadPart Part, string Manifest) Build(
        Language language, string code, IReadOnlyDictionary<string, string>? files, IReadOnlyList<string>? args, string? stdin,
        int? timeout, int? memoryMb, LimitOptions limits, List<string> notes)
    {
        var manifest = new Dictionary<string, object>
        {
            ["entrypoint"] = language.EntryFile,
            ["interpreter"] = language.Interpreter,
        };
        if (language.Interpreter == "python3")
        {
            // Imported helper modules would otherwise leave __pycache__/*.pyc among the outputs.
            manifest["env"] = new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1" };
        }

        if (args is { Count: > 0 })
        {
            manifest["args"] = args;
        }

        if (stdin is { Length: > 0 })
        {
            manifest["stdin"] = stdin;
        }

        if (timeout is { } seconds)
        {
            if (seconds < 1)
            {
                throw new ToolRefusalException($"timeout must be at least 1 second (got {seconds}); the server allows up to {limits.MaxTimeoutSeconds}");
            }

            manifest["timeout"] = Clamp(seconds, limits.MaxTimeoutSeconds, "timeout", "seconds", notes);
        }

        if (memoryMb is { } memory)
        {
            if (memory < 16)
            {
                throw new ToolRefusalException($"memory_mb must be at least 16 (got {memory}); the server allows up to {limits.MaxMemoryMb}");
            }

            manifest["memory_mb"] = Clamp(memory, limits.MaxMemoryMb, "memory_mb", "MiB", notes);
        }

        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            Add(writer, language.EntryFile, code);
            foreach (var (path, content) in files ?? new Dictionary<string, string>())
            {
                if (string.Equals(path.TrimStart('.', '/'), language.EntryFile, StringComparison.Ordinal))
                {
                    throw new ToolRefusalException($"files must not contain '{language.EntryFile}': the code argument is written there");
                }

                if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
                {
                    throw new ToolRefusalException("files: every path must be a non-empty relative path such as 'data/input.csv'");
                }

                Add(writer, path, content ?? throw new ToolRefusalException($"files: '{path}' has no content (null)"));
            }
        }

        tar.Position = 0;
        return (new UploadPart("files.tar", tar), JsonSerializer.Serialize(manifest, McpJsonContext.Default.DictionaryStringObject));
    }

    private static int Clamp(int value, int max, string name, string unit, List<string> notes)
    {
        if (value <= max)
        {
            return value;
        }

        notes.Add($"{name} {value} {unit} is above this server's maximum; clamped to {max} {unit}");
        return max;
    }

    private static void Add(TarWriter writer, string path, string content)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        writer.WriteEntry(entry);
    }
}
