using System.CommandLine;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Sandrun.Cli.Client;

namespace Sandrun.Cli.Commands;

/// <summary>
/// <c>sandrun download ID [PATH] [-o DIR]</c>: one output file, or all of them (the server deletes the job after a
/// complete transfer). File names come from the job, i.e. from untrusted code: only regular files and directories
/// are written, only below DIR, never over an existing file and never through a link; every file's SHA-256 is
/// checked against the job's status.
/// </summary>
internal static class DownloadCommand
{
    public static Command Create(Option<string?> server)
    {
        var id = StatusCommand.JobIdArgument();
        var path = new Argument<string?>("PATH") { Arity = ArgumentArity.ZeroOrOne, Description = "One output file's path; without it, all outputs (and the job is deleted)." };
        var output = new Option<string?>("--output", "-o") { Description = "Directory to write into (default: the current one for a file, ./ID for all)." };
        var command = new Command("download", "Download a job's output files, checking each against its hash.") { id, path, output };
        command.SetAction(async (result, ct) =>
        {
            using var client = SandrunServer.Create(result.GetValue(server));
            var jobId = result.GetValue(id)!;
            var status = await client.GetJsonAsync(SandrunServer.JobPath("status", jobId), ct).ConfigureAwait(false);
            var hashes = Hashes(status);
            var one = result.GetValue(path);
            var directory = Path.GetFullPath(result.GetValue(output) ?? (one is null ? jobId : "."));
            return one is null
                ? await AllAsync(client, jobId, directory, hashes, ct).ConfigureAwait(false)
                : await OneAsync(client, jobId, one, directory, hashes, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> OneAsync(SandrunServer client, string jobId, string path, string directory, IReadOnlyDictionary<string, string> hashes, CancellationToken ct)
    {
        var relative = Normalize(path) ?? throw new CliException($"'{path}' is not a relative path inside the job");
        var escaped = string.Join('/', relative.Split('/').Select(Uri.EscapeDataString));
        using var response = await client.GetStreamingAsync($"{SandrunServer.JobPath("download", jobId)}/{escaped}", ct).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var name = relative[(relative.LastIndexOf('/') + 1)..];
        var sha = await WriteAsync(directory, name, body, ct).ConfigureAwait(false);
        var valid = Check(relative, sha, hashes);
        await Console.Error.WriteLineAsync($"sandrun: {Path.Combine(directory, name)}{(valid ? "" : " DOES NOT MATCH its sha256 in the job's status")}").ConfigureAwait(false);
        return valid ? 0 : ExitCodes.Invalid;
    }

    private static async Task<int> AllAsync(SandrunServer client, string jobId, string directory, IReadOnlyDictionary<string, string> hashes, CancellationToken ct)
    {
        using var response = await client.GetStreamingAsync(SandrunServer.JobPath("download", jobId), ct).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using var gzip = new GZipStream(body, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        var written = 0;
        var mismatched = new List<string>();
        while (await tar.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
        {
            var relative = Normalize(entry.Name);
            if (relative is null || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory))
            {
                await Console.Error.WriteLineAsync($"sandrun: skipped '{entry.Name}' ({entry.EntryType}; only files and directories below the output directory are written)").ConfigureAwait(false);
                continue;
            }

            if (entry.EntryType == TarEntryType.Directory)
            {
                CreateDirectories(directory, relative);
                continue;
            }

            var slash = relative.LastIndexOf('/');
            var parent = slash < 0 ? directory : CreateDirectories(directory, relative[..slash]);
            var sha = await WriteAsync(parent, relative[(slash + 1)..], entry.DataStream ?? Stream.Null, ct).ConfigureAwait(false);
            written++;
            if (!Check(relative, sha, hashes))
            {
                mismatched.Add(relative);
            }
        }

        await Console.Error.WriteLineAsync($"sandrun: {written} file{(written == 1 ? "" : "s")} in {directory} (the server deletes the job after a complete download)").ConfigureAwait(false);
        foreach (var file in mismatched)
        {
            await Console.Error.WriteLineAsync($"sandrun: {file} DOES NOT MATCH its sha256 in the job's status").ConfigureAwait(false);
        }

        return mismatched.Count == 0 ? 0 : ExitCodes.Invalid;
    }

    /// <summary>A job-chosen path as safe relative segments, or null when it is absolute or climbs out.</summary>
    private static string? Normalize(string name)
    {
        var segments = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        return name.StartsWith('/') || segments.Length == 0 || segments.Any(s => s == ".." || s.Contains('\0', StringComparison.Ordinal)) ? null : string.Join('/', segments);
    }

    /// <summary>Creates <paramref name="relative"/>'s directories below <paramref name="root"/>, refusing to pass through a link.</summary>
    private static string CreateDirectories(string root, string relative)
    {
        Directory.CreateDirectory(root);
        var current = root;
        foreach (var segment in relative.Split('/'))
        {
            current = Path.Combine(current, segment);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null || (info.Exists is false && File.Exists(current)))
            {
                throw new CliException($"{current} is a link or a file; not writing below it");
            }

            info.Create();
        }

        return current;
    }

    /// <summary>Writes a new file (never over an existing one, never through a link); returns its SHA-256 (hex).</summary>
    private static async Task<string> WriteAsync(string directory, string name, Stream content, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, name);
        FileStream file;
        try
        {
            file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024);
        }
        catch (IOException e)
        {
            throw new CliException($"cannot write {target}: {e.Message} (existing files are never overwritten)");
        }

        await using (file.ConfigureAwait(false))
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await content.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buffer, 0, n);
                await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }

            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }
    }

    private static bool Check(string relative, string sha, IReadOnlyDictionary<string, string> hashes) =>
        !hashes.TryGetValue(relative, out var expected) || string.Equals(expected, sha, StringComparison.OrdinalIgnoreCase);

    private static Dictionary<string, string> Hashes(JsonElement status)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (status.TryGetProperty("output_files", out var files) && files.ValueKind == JsonValueKind.Object)
        {
            foreach (var file in files.EnumerateObject())
            {
                if (JsonFields.Text(file.Value, "sha256_hash") is { } sha)
                {
                    hashes[file.Name] = sha;
                }
            }
        }

        return hashes;
    }
}
