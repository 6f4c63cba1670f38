using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;
using Sandrun.Native;

namespace Sandrun.Outputs;

/// <summary>
/// Lists the regular files of a workspace whose shape a job chose: any depth, any names, any number of entries,
/// links, FIFOs and devices. Every directory is opened from the workspace root by its relative path with openat2
/// (<c>RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS</c>, <c>O_DIRECTORY | O_NOFOLLOW</c>), read to the end with getdents64 and
/// closed before anything below it is looked at: one directory fd at a time, whatever the depth, no symlink ever
/// followed, no full host path ever built. Paths are capped at <see cref="MaxPathBytes"/> (far below PATH_MAX), so
/// nothing deeper is entered; names that are not valid UTF-8 are skipped with what lies below them. Both are counted
/// in <see cref="Skipped"/>. Files are yielded, never opened: FIFOs, sockets and devices are simply not listed.
/// </summary>
internal sealed class WorkspaceWalk(SafeFileHandle root, int maxPathBytes, int maxEntries)
{
    // linux_dirent64 (the same on every architecture): u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[].
    private const int RecordLengthOffset = 16, TypeOffset = 18, NameOffset = 19;
    private const byte DT_UNKNOWN = 0, DT_DIR = 4, DT_REG = 8;

    private readonly byte[] buffer = new byte[32 << 10];
    private int entries;

    /// <summary>Longest relative path listed, in UTF-8 bytes.</summary>
    public int MaxPathBytes => maxPathBytes;

    /// <summary>Entries (files, directories, links, anything) looked at before the walk stops.</summary>
    public int MaxEntries => maxEntries;

    /// <summary>Files and directories left out: path longer than <see cref="MaxPathBytes"/>, or name not valid UTF-8.</summary>
    public int Skipped { get; private set; }

    /// <summary>Directories that could not be opened or read (gone, or replaced by something else, since they were listed).</summary>
    public int Unreadable { get; private set; }

    /// <summary>Whether the walk stopped at <see cref="MaxEntries"/>.</summary>
    public bool Truncated { get; private set; }

    /// <summary>
    /// '/'-separated paths relative to the root of the entries that were regular files when their directory was read,
    /// directory by directory in ordinal name order.
    /// </summary>
    public IEnumerable<string> RegularFiles()
    {
        var pending = new Stack<(string Path, int Bytes)>();
        pending.Push((string.Empty, 0));
        while (pending.TryPop(out var directory) && !Truncated)
        {
            var children = Read(directory.Path);
            children.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var subdirectories = new List<(string Path, int Bytes)>();
            foreach (var (name, nameBytes, type) in children)
            {
                var path = directory.Path.Length == 0 ? name : directory.Path + "/" + name;
                var bytes = directory.Path.Length == 0 ? nameBytes : directory.Bytes + 1 + nameBytes;

                // A directory is entered only if a one-letter file in it would still fit.
                if (type == DT_DIR ? bytes + 2 > maxPathBytes : bytes > maxPathBytes)
                {
                    Skipped++;
                }
                else if (type == DT_DIR)
                {
                    subdirectories.Add((path, bytes));
                }
                else
                {
                    yield return path;
                }
            }

            for (var i = subdirectories.Count - 1; i >= 0; i--)
            {
                pending.Push(subdirectories[i]);
            }
        }
    }

    /// <summary>The directory's directories and regular files (name, its UTF-8 length, DT_DIR or DT_REG).</summary>
    private List<(string Name, int NameBytes, byte Type)> Read(string path)
    {
        var children = new List<(string, int, byte)>();
        var flags = Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_NOFOLLOW | Posix.O_CLOEXEC;
        using var directory = path.Length == 0
            ? Posix.OpenAt(root, ".", flags)
            : Posix.OpenAt2(root, path, flags, Posix.RESOLVE_BENEATH | Posix.RESOLVE_NO_SYMLINKS | Posix.RESOLVE_NO_MAGICLINKS);
        if (directory.IsInvalid)
        {
            Unreadable++;
            return children;
        }

        while (true)
        {
            var length = Posix.ReadDirectoryEntries(directory, buffer);
            if (length < 0 && Posix.LastErrno == Posix.EINTR)
            {
                continue;
            }

            if (length < 0)
            {
                Unreadable++;
                return children;
            }

            if (length == 0)
            {
                return children;
            }

            for (var offset = 0; offset < length; offset += MemoryMarshal.Read<ushort>(buffer.AsSpan(offset + RecordLengthOffset)))
            {
                var record = buffer.AsSpan(offset, MemoryMarshal.Read<ushort>(buffer.AsSpan(offset + RecordLengthOffset)));
                var name = record[NameOffset..];
                name = name[..name.IndexOf((byte)0)];
                if (name is [(byte)'.'] or [(byte)'.', (byte)'.'])
                {
                    continue;
                }

                if (++entries > maxEntries)
                {
                    Truncated = true;
                    return children;
                }

                if (!Utf8.IsValid(name))
                {
                    Skipped++;
                    continue;
                }

                var text = Encoding.UTF8.GetString(name);
                var type = record[TypeOffset];
                if (type == DT_UNKNOWN)
                {
                    // Filesystems without d_type: ask, without following a symlink. A name gone since is no output.
                    type = Posix.StatusAt(directory, text) switch
                    {
                        { IsDirectory: true } => DT_DIR,
                        { IsRegularFile: true } => DT_REG,
                        _ => DT_UNKNOWN,
                    };
                }

                if (type is DT_DIR or DT_REG)
                {
                    children.Add((text, name.Length, type));
                }
            }
        }
    }
}
