using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using Sandrun.Native;

namespace Sandrun.Intake;

/// <summary>
/// Creates the upload's files, directories and symlinks inside the workspace, one path component at a time
/// relative to directory fds opened from the workspace root with <c>O_NOFOLLOW</c>: no path is ever resolved
/// through a symlink, so nothing the upload plants can redirect a write outside the workspace. Every created
/// object is owned by the job's uid/gid and gets an exact mode (umask does not apply). The rules (conflicts,
/// links) are checked against the <see cref="UploadTree"/> first.
/// </summary>
internal sealed class WorkspaceWriter : IDisposable
{
    private const int DirectoryMode = 0b111_101_101;   // 0755
    private const int FileMode = 0b110_100_100;        // 0644
    private const int ExecutableMode = 0b111_101_101;  // 0755
    private const int CopyBufferBytes = 128 * 1024;

    private readonly SafeFileHandle root;
    private readonly UploadTree tree;
    private readonly uint uid;
    private readonly uint gid;
    private readonly ByteBudget extracted;

    public WorkspaceWriter(string workspace, uint uid, uint gid, IntakeLimits limits, ByteBudget extracted)
    {
        root = Posix.Open(workspace, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC);
        if (root.IsInvalid)
        {
            throw Posix.Error($"open workspace {workspace}");
        }

        tree = new UploadTree(limits.MaxPathLength);
        this.uid = uid;
        this.gid = gid;
        this.extracted = extracted;
    }

    public IntakeResult Result() => new(tree.Files(), tree.TotalFileBytes());

    public void CreateDirectory(EntryPath path, EntryRef at)
    {
        tree.CheckAncestors(path, at);
        switch (tree.Find(path.Value)?.Kind)
        {
            case UploadTree.NodeKind.Directory:
                return;
            case UploadTree.NodeKind.File or UploadTree.NodeKind.Symlink:
                throw at.Invalid("is a directory, but a file or symlink of that name came earlier");
        }

        using var parent = OpenParent(path, at);
        OpenDirectory(parent, path.Name, path.Value, at).Dispose();
    }

    /// <summary>Writes a regular file (replacing an earlier file or symlink of that name) and hashes it.</summary>
    public async Task WriteFileAsync(EntryPath path, Stream content, bool executable, EntryRef at, CancellationToken cancellationToken)
    {
        tree.CheckAncestors(path, at);
        tree.CheckReplaceable(path, at);
        using var parent = OpenParent(path, at);
        RemoveEarlier(parent, path);
        var mode = executable ? ExecutableMode : FileMode;
        using var file = Posix.OpenAt(parent, path.Name, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOFOLLOW | Posix.O_CLOEXEC, mode);
        if (file.IsInvalid)
        {
            throw Failure("create", at);
        }

        SetOwnerAndMode(file, mode, at);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        long size = 0;
        try
        {
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                // Charged before writing, so a bomb stops with at most one buffer read past the cap and none written.
                extracted.Charge(read, at);
                hash.AppendData(buffer, 0, read);
                WriteAll(file, buffer.AsSpan(0, read), at);
                size += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        tree.SetFile(path.Value, Convert.ToHexStringLower(hash.GetHashAndReset()), size, executable);
    }

    /// <summary>Creates a symlink whose target must resolve inside the workspace.</summary>
    public void CreateSymlink(EntryPath path, IReadOnlyList<string> target, string targetText, EntryRef at)
    {
        tree.CheckAncestors(path, at);
        tree.CheckReplaceable(path, at);
        CheckLink(path, target, targetText, at);
        using var parent = OpenParent(path, at);
        RemoveEarlier(parent, path);
        if (Posix.SymlinkAt(targetText, parent, path.Name) != 0)
        {
            throw Failure("create symlink", at);
        }

        if (Posix.FchownAt(parent, path.Name, uid, gid, Posix.AT_SYMLINK_NOFOLLOW) != 0)
        {
            throw Failure("chown symlink", at);
        }

        tree.SetSymlink(path, target, targetText, at);
    }

    /// <summary>Writes a hardlink entry as a copy of the earlier regular file <paramref name="source"/>.</summary>
    public async Task CopyFileAsync(EntryPath path, EntryPath source, EntryRef at, CancellationToken cancellationToken)
    {
        if (tree.Find(source.Value) is not { Kind: UploadTree.NodeKind.File } original)
        {
            throw at.Invalid($"is a hardlink to '{EntryRef.Show(source.Value)}', which is not an earlier regular file of this upload");
        }

        if (source.Value == path.Value)
        {
            return;
        }

        using var sourceParent = OpenParent(source, at);
        using var sourceFile = Posix.OpenAt(sourceParent, source.Name, Posix.O_RDONLY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC);
        if (sourceFile.IsInvalid)
        {
            throw Failure("open hardlink source", at);
        }

        await using var content = new FileStream(sourceFile, FileAccess.Read, bufferSize: 0);
        await WriteFileAsync(path, content, original.Executable, at, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks every symlink against the final tree: a link checked when it was created can be redirected by a
    /// symlink created later on a path it goes through (<c>l -> x/..</c>, then <c>x -> .</c>).
    /// </summary>
    public void CheckAllLinks()
    {
        foreach (var link in tree.Symlinks)
        {
            CheckLink(link.Link!, link.Target, link.TargetText, link.Origin);
        }
    }

    public void Dispose() => root.Dispose();

    private void CheckLink(EntryPath path, IReadOnlyList<string> target, string targetText, EntryRef at)
    {
        switch (tree.Resolve(path, target))
        {
            case UploadTree.Resolution.Escapes:
                throw at.Invalid($"is a symlink to '{EntryRef.Show(targetText)}', which escapes the workspace");
            case UploadTree.Resolution.TooManyLinks:
                throw at.Invalid($"is a symlink to '{EntryRef.Show(targetText)}', which goes through too many symlinks");
            case UploadTree.Resolution.OverBudget:
                throw at.Invalid($"is a symlink to '{EntryRef.Show(targetText)}'; with the upload's other symlinks it takes too long to check");
        }
    }

    // Walks from the root to the entry's directory, creating missing directories; returns an fd of that directory.
    private SafeFileHandle OpenParent(EntryPath path, EntryRef at)
    {
        var directory = Posix.OpenAt(root, ".", Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC);
        if (directory.IsInvalid)
        {
            throw Failure("open workspace", at);
        }

        for (var depth = 1; depth < path.Components.Count; depth++)
        {
            using var current = directory;
            directory = OpenDirectory(current, path.Components[depth - 1], path.Prefix(depth), at);
        }

        return directory;
    }

    private SafeFileHandle OpenDirectory(SafeFileHandle parent, string name, string relativePath, EntryRef at)
    {
        var created = false;
        if (tree.Find(relativePath) is null)
        {
            created = Posix.MkdirAt(parent, name, DirectoryMode) == 0;
            if (!created && Posix.LastErrno != Posix.EEXIST)
            {
                throw Failure("create directory", at);
            }
        }

        // O_NOFOLLOW|O_DIRECTORY: only a real directory opens; a symlink or file there is refused by the kernel.
        var directory = Posix.OpenAt(parent, name, Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC);
        if (directory.IsInvalid)
        {
            throw Failure("open directory", at);
        }

        if (created)
        {
            SetOwnerAndMode(directory, DirectoryMode, at);
        }

        tree.AddDirectory(relativePath);
        return directory;
    }

    private void RemoveEarlier(SafeFileHandle parent, EntryPath path)
    {
        if (tree.Find(path.Value) is not null && Posix.UnlinkAt(parent, path.Name, 0) != 0)
        {
            throw Posix.Error("unlink an earlier upload entry");
        }
    }

    private void SetOwnerAndMode(SafeFileHandle fd, int mode, EntryRef at)
    {
        if (Posix.Fchown(fd, uid, gid) != 0 || Posix.Fchmod(fd, mode) != 0)
        {
            throw Failure("set owner and mode of", at);
        }
    }

    private static void WriteAll(SafeFileHandle file, ReadOnlySpan<byte> data, EntryRef at)
    {
        while (!data.IsEmpty)
        {
            var written = Posix.Write(file, data, data.Length);
            if (written < 0)
            {
                if (Posix.LastErrno == Posix.EINTR)
                {
                    continue;
                }

                throw Failure("write", at);
            }

            data = data[(int)written..];
        }
    }

    // Errors the upload itself can cause become 400/413; anything else is a host fault.
    private static Exception Failure(string operation, EntryRef at)
    {
        var errno = Posix.LastErrno;
        return errno switch
        {
            Posix.ENOSPC or Posix.EDQUOT or Posix.EFBIG => at.TooLarge("does not fit in the workspace"),
            Posix.EEXIST or Posix.ELOOP or Posix.ENOTDIR => at.Invalid("conflicts with something already in the workspace"),
            // Host faults carry no upload names: they may be logged, and names are job content (SPEC.md §5).
            _ => Posix.Error($"{operation} an upload entry"),
        };
    }
}
