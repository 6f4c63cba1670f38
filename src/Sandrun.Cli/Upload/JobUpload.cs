using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Enumeration;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.Cli.Client;

namespace Sandrun.Cli.Upload;

/// <summary>
/// What <c>sandrun run FILE|DIR</c> uploads: a file as itself (the server extracts archives), a directory packed
/// here into a real tar.gz (in a temporary file, so size is bounded by disk, not memory) with regular files and
/// directories only: links are skipped and named, never followed, so nothing outside the directory is sent.
/// </summary>
internal sealed class JobUpload : IDisposable
{
    private static readonly string[] ArchiveSuffixes = [".tar.gz", ".tgz", ".tar", ".zip"];

    private readonly Stream content;

    private JobUpload(Stream content, string fileName, JsonObject manifest, IReadOnlyList<string> skipped)
    {
        this.content = content;
        FileName = fileName;
        Manifest = manifest;
        Skipped = skipped;
    }

    /// <summary>The name of the <c>files</c> part.</summary>
    public string FileName { get; }

    /// <summary>The manifest to send: the folder's own <c>job.json</c>, if any, with the command line's fields over it.</summary>
    public JsonObject Manifest { get; }

    /// <summary>Entries of a directory that were not uploaded (links, devices), relative to it.</summary>
    public IReadOnlyList<string> Skipped { get; }

    /// <summary>Bytes to upload.</summary>
    public long Length => content.Length;

    /// <summary>Opens <paramref name="path"/> for upload.</summary>
    public static JobUpload Open(string path)
    {
        if (Directory.Exists(path))
        {
            return Pack(path);
        }

        if (!File.Exists(path))
        {
            throw new CliException($"'{path}' is neither a file nor a directory");
        }

        var name = Path.GetFileName(path);
        var manifest = new JsonObject();
        if (!ArchiveSuffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
        {
            manifest["entrypoint"] = name;
        }

        return new JobUpload(OpenRead(path), name, manifest, []);
    }

    /// <summary>The multipart form of <c>POST /submit</c>, with <paramref name="progress"/> told of every block sent.</summary>
    public MultipartFormDataContent Form(Action<long, long>? progress)
    {
        content.Position = 0;
        var files = new ProgressContent(content, progress);
        files.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var form = new MultipartFormDataContent { { files, "files", FileName } };
        if (Manifest.Count > 0)
        {
            form.Add(new StringContent(Manifest.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), "manifest");
        }

        return form;
    }

    /// <inheritdoc />
    public void Dispose() => content.Dispose();

    private static JobUpload Pack(string directory)
    {
        var root = Path.GetFullPath(directory);
        var skipped = new List<string>();
        var archive = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        try
        {
            using (var gzip = new GZipStream(archive, CompressionLevel.Optimal, leaveOpen: true))
            using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
            {
                foreach (var (relative, kind) in Entries(root))
                {
                    if (kind == EntryKind.Other)
                    {
                        skipped.Add(relative);
                        continue;
                    }

                    var full = Path.Combine(root, relative);
                    var entry = new PaxTarEntry(kind == EntryKind.Directory ? TarEntryType.Directory : TarEntryType.RegularFile, relative)
                    {
                        Mode = File.GetUnixFileMode(full),
                        ModificationTime = File.GetLastWriteTimeUtc(full),
                    };
                    using var data = kind == EntryKind.File ? OpenRead(full) : null;
                    if (data is not null)
                    {
                        entry.DataStream = data;
                    }

                    tar.WriteEntry(entry);
                }
            }

            return new JobUpload(archive, Path.GetFileName(root.TrimEnd('/')) + ".tar.gz", ReadJobJson(root), skipped);
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    private enum EntryKind
    {
        File,
        Directory,
        Other,
    }

    /// <summary>Every entry below <paramref name="root"/>, never descending through a link (.NET's recursion would follow one).</summary>
    private static IEnumerable<(string Relative, EntryKind Kind)> Entries(string root) =>
        new FileSystemEnumerable<(string, EntryKind)>(
            root,
            (ref FileSystemEntry e) =>
            {
                var relative = Path.GetRelativePath(root, e.ToFullPath()).Replace('\\', '/');
                var kind = (e.Attributes & FileAttributes.ReparsePoint) != 0 ? EntryKind.Other
                    : e.IsDirectory ? EntryKind.Directory
                    : FileKinds.IsRegularFile(e.ToFullPath()) ? EntryKind.File
                    : EntryKind.Other;
                return (relative, kind);
            },
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
        {
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };

    private static JsonObject ReadJobJson(string root)
    {
        var path = Path.Combine(root, "job.json");
        if (!File.Exists(path) || File.ResolveLinkTarget(path, returnFinalTarget: false) is not null)
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new CliException($"{path} must hold a JSON object (the job's manifest)");
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not valid JSON: {e.Message}");
        }
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read '{path}': {e.Message}");
        }
    }
}
