using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace Sandrun.Intake;

/// <summary>
/// Safe intake of a <c>POST /submit</c> upload into a job workspace (SPEC.md §2): archives are extracted,
/// other parts stored, all merged into one tree. Every name is validated, links are confined to the workspace,
/// devices and FIFOs are refused, sizes and counts are capped while streaming, and nothing is ever created or
/// followed outside the workspace.
/// </summary>
public static class UploadIntake
{
    /// <summary>
    /// Extracts or stores every part, in order, into <paramref name="workspace"/>, an existing directory (normally
    /// the job's fresh tmpfs). A later entry for the same path replaces the earlier file or symlink; a file where a
    /// directory is, or the reverse, is refused. Directories get mode 0755, files 0644 (0755 when the archive gave
    /// the entry an execute bit), and everything is owned by <paramref name="ownerUid"/>:<paramref name="ownerGid"/>.
    /// On failure the workspace may hold part of the upload; the caller discards it.
    /// </summary>
    /// <param name="parts">The multipart <c>files</c> parts, in the order they were received.</param>
    /// <param name="workspace">Host path of the workspace directory.</param>
    /// <param name="limits">Size, count and path caps.</param>
    /// <param name="ownerUid">Host uid that will own every created file, directory and symlink.</param>
    /// <param name="ownerGid">Host gid that will own every created file, directory and symlink.</param>
    /// <param name="cancellationToken">Stops the intake.</param>
    /// <returns>The regular files now in the workspace with their SHA-256, and their total size.</returns>
    /// <exception cref="IntakeException">The upload is invalid or over a limit.</exception>
    public static async Task<IntakeResult> ExtractAsync(
        IReadOnlyList<UploadPart> parts,
        string workspace,
        IntakeLimits limits,
        uint ownerUid,
        uint ownerGid,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentException.ThrowIfNullOrEmpty(workspace);
        ArgumentNullException.ThrowIfNull(limits);

        var uploaded = new ByteBudget(limits.MaxUploadBytes, "the upload");
        var extracted = new ByteBudget(limits.MaxExtractedBytes, "the extracted data");
        using var writer = new WorkspaceWriter(workspace, ownerUid, ownerGid, limits, extracted);
        var count = 0;
        foreach (var part in parts)
        {
            ArgumentNullException.ThrowIfNull(part);
            var whole = new EntryRef(part.FileName, null);
            var content = new BudgetedReadStream(part.Content, uploaded, whole);
            if (EntriesAsync(part.FileName, content, limits, extracted, cancellationToken) is { } entries)
            {
                await foreach (var entry in entries.ConfigureAwait(false))
                {
                    await CountAndApplyAsync(entry, new EntryRef(part.FileName, entry.Name)).ConfigureAwait(false);
                }
            }
            else if (EntryPath.TryParseFileName(part.FileName, limits, out _) is { } error)
            {
                throw whole.Invalid($"the file name {error}");
            }
            else
            {
                await CountAndApplyAsync(new ArchiveEntry(part.FileName, EntryKind.File, "", false, content), whole).ConfigureAwait(false);
            }
        }

        writer.CheckAllLinks();
        return writer.Result();

        Task CountAndApplyAsync(ArchiveEntry entry, EntryRef at)
        {
            if (++count > limits.MaxEntries)
            {
                throw at.TooLarge($"is past the limit of {limits.MaxEntries} entries");
            }

            return ApplyAsync(writer, entry, limits, at, cancellationToken);
        }
    }

    // The entries of an archive part, or null when the part is a plain file.
    private static IAsyncEnumerable<ArchiveEntry>? EntriesAsync(
        string fileName, Stream content, IntakeLimits limits, ByteBudget extracted, CancellationToken cancellationToken)
    {
        if (fileName.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase))
        {
            return GzipTarAsync(fileName, content, limits, extracted, cancellationToken);
        }

        if (fileName.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
        {
            return TarEntryReader.ReadAsync(new GuardedReadStream(content, new EntryRef(fileName, null)), fileName, limits, extracted, cancellationToken);
        }

        return fileName.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
            ? ZipEntryReader.ReadAsync(content, fileName, limits, cancellationToken)
            : null;
    }

    private static async IAsyncEnumerable<ArchiveEntry> GzipTarAsync(
        string fileName, Stream content, IntakeLimits limits, ByteBudget extracted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var gzip = new GZipStream(content, CompressionMode.Decompress, leaveOpen: true);
        var tar = new GuardedReadStream(gzip, new EntryRef(fileName, null));
        await foreach (var entry in TarEntryReader.ReadAsync(tar, fileName, limits, extracted, cancellationToken).ConfigureAwait(false))
        {
            yield return entry;
        }
    }

    private static async Task ApplyAsync(WorkspaceWriter writer, ArchiveEntry entry, IntakeLimits limits, EntryRef at, CancellationToken cancellationToken)
    {
        if (EntryPath.TryParse(entry.Name, limits, out var path) is { } error)
        {
            throw at.Invalid(error);
        }

        if (entry.Kind != EntryKind.Directory && (path.IsRoot || entry.Name.EndsWith('/')))
        {
            throw at.Invalid("is not a directory, but its name is one");
        }

        switch (entry.Kind)
        {
            case EntryKind.Directory when path.IsRoot:
                return;
            case EntryKind.Directory:
                writer.CreateDirectory(path, at);
                return;
            case EntryKind.File:
                await writer.WriteFileAsync(path, entry.Content, entry.Executable, at, cancellationToken).ConfigureAwait(false);
                return;
            case EntryKind.Symlink:
                if (EntryPath.TryParseLinkTarget(entry.LinkTarget, limits, out var target) is { } targetError)
                {
                    throw at.Invalid($"is a symlink whose target '{EntryRef.Show(entry.LinkTarget)}' {targetError}");
                }

                writer.CreateSymlink(path, target, entry.LinkTarget, at);
                return;
            case EntryKind.Hardlink:
                if (EntryPath.TryParse(entry.LinkTarget, limits, out var source) is { } sourceError)
                {
                    throw at.Invalid($"is a hardlink whose target '{EntryRef.Show(entry.LinkTarget)}' {sourceError}");
                }

                await writer.CopyFileAsync(path, source, at, cancellationToken).ConfigureAwait(false);
                return;
        }
    }
}
