using System.Globalization;
using System.Security.Cryptography;
using Sandrun.Native;

namespace Sandrun.Outputs;

/// <summary>
/// Finds a finished job's outputs: files matching the manifest's patterns, or, without patterns, every
/// regular file created or changed by the job. Runs only after every process of the job is gone, and still
/// never follows a symlink the job planted: the workspace is walked by <see cref="WorkspaceWalk"/> and every file
/// is opened beneath the workspace with symlinks refused. Whatever the job left there, collection ends with a
/// list and notes on what was left out; only a workspace that cannot be opened at all is an error.
/// </summary>
public static class OutputCollector
{
    /// <summary>Collects outputs.</summary>
    /// <param name="workspace">The job's workspace directory.</param>
    /// <param name="inputs">Uploaded files (relative path → SHA-256) — unchanged ones are not outputs unless a pattern names them.</param>
    /// <param name="matches">Pattern matcher, or null for "created or changed by the job".</param>
    /// <param name="notByJob">Without patterns: paths the job did not make itself (e.g. installed dependencies).</param>
    /// <param name="limits">Bounds on the work; <see cref="OutputLimits.Default"/> when null.</param>
    /// <exception cref="IOException">The workspace directory itself cannot be opened.</exception>
    public static OutputCollection Collect(string workspace, IReadOnlyDictionary<string, string> inputs, Func<string, bool>? matches,
        Func<string, bool>? notByJob = null, OutputLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        limits ??= OutputLimits.Default;
        using var root = BeneathFile.OpenRoot(workspace);
        var walk = new WorkspaceWalk(root, limits.MaxPathBytes, limits.MaxEntries);
        var hashed = new Dictionary<(ulong Device, ulong Inode), (long Size, string Sha)>();
        var budget = limits.MaxHashedBytes;
        var overBudget = 0;
        var files = new List<OutputFile>();
        foreach (var relative in walk.RegularFiles())
        {
            if (matches is not null ? !matches(relative) : notByJob?.Invoke(relative) == true)
            {
                continue;
            }

            using var handle = BeneathFile.OpenRegularFile(root, relative);
            if (handle is null || Posix.Status(handle) is not { } status)
            {
                continue;
            }

            // Hard links share one inode: hashed once, so a thousand links to a big file cost one read.
            if (!hashed.TryGetValue((status.Device, status.Inode), out var content))
            {
                if (status.Size > budget)
                {
                    overBudget++;
                    continue;
                }

                using var stream = new FileStream(handle, FileAccess.Read, 1);
                var sha = Convert.ToHexStringLower(SHA256.HashData(stream));
                content = (stream.Position, sha);
                budget -= Math.Max(status.Size, stream.Position);
                hashed[(status.Device, status.Inode)] = content;
            }

            if (matches is null && inputs.TryGetValue(relative, out var before) && before == content.Sha)
            {
                continue;
            }

            files.Add(new OutputFile(relative, content.Size, content.Sha, MimeTypes.For(relative)));
            if (files.Count >= limits.MaxFiles)
            {
                break;
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new OutputCollection(files, Notes(walk, files.Count >= limits.MaxFiles, overBudget, limits));
    }

    private static List<string> Notes(WorkspaceWalk walk, bool full, int overBudget, OutputLimits limits)
    {
        var notes = new List<string>();
        void Add(FormattableString note) => notes.Add("outputs: " + note.ToString(CultureInfo.InvariantCulture));
        if (walk.Skipped > 0)
        {
            Add($"{walk.Skipped} files or directories were not considered: their path is longer than {walk.MaxPathBytes} bytes or their name is not valid UTF-8");
        }

        if (walk.Unreadable > 0)
        {
            Add($"{walk.Unreadable} directories could not be read");
        }

        if (walk.Truncated)
        {
            Add($"the workspace has more than {walk.MaxEntries} entries; only the first {walk.MaxEntries} were looked at");
        }

        if (overBudget > 0)
        {
            Add($"{overBudget} files were not listed: the outputs' content is hashed up to {limits.MaxHashedBytes} bytes in all");
        }

        if (full)
        {
            Add($"only {limits.MaxFiles} outputs are listed");
        }

        return notes;
    }
}
