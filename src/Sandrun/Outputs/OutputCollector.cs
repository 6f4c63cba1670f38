using System.Security.Cryptography;

namespace Sandrun.Outputs;

/// <summary>
/// Finds a finished job's outputs: files matching the manifest's patterns, or, without patterns, every
/// regular file created or changed by the job. Runs only after every process of the job is gone, and still
/// never follows a symlink the job planted: directories are walked without following links and every file
/// is opened beneath the workspace with symlinks refused.
/// </summary>
public static class OutputCollector
{
    /// <summary>Collects outputs.</summary>
    /// <param name="workspace">The job's workspace directory.</param>
    /// <param name="inputs">Uploaded files (relative path → SHA-256) — unchanged ones are not outputs unless a pattern names them.</param>
    /// <param name="matches">Pattern matcher, or null for "created or changed by the job".</param>
    /// <param name="notByJob">Without patterns: paths the job did not make itself (e.g. installed dependencies).</param>
    /// <param name="maxFiles">At most this many outputs are listed.</param>
    public static IReadOnlyList<OutputFile> Collect(string workspace, IReadOnlyDictionary<string, string> inputs, Func<string, bool>? matches,
        Func<string, bool>? notByJob = null, int maxFiles = 10_000)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var root = BeneathFile.OpenRoot(workspace);
        var result = new List<OutputFile>();
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        foreach (var full in Directory.EnumerateFiles(workspace, "*", options).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(workspace, full).Replace('\\', '/');
            if (matches is not null ? !matches(relative) : notByJob?.Invoke(relative) == true)
            {
                continue;
            }

            using var handle = BeneathFile.OpenRegularFile(root, relative);
            if (handle is null)
            {
                continue;
            }

            using var stream = new FileStream(handle, FileAccess.Read, 1);
            var sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (matches is null && inputs.TryGetValue(relative, out var before) && before == sha)
            {
                continue;
            }

            result.Add(new OutputFile(relative, stream.Length, sha, MimeTypes.For(relative)));
            if (result.Count >= maxFiles)
            {
                break;
            }
        }

        return result;
    }
}
