using Tmds.Linux;

namespace Sandrun.Native;

/// <summary>What statx(2) says about a file: its type, identity and size.</summary>
/// <param name="Type">The <c>S_IFMT</c> bits of its mode.</param>
/// <param name="Device">The device it lives on (major in the high 32 bits).</param>
/// <param name="Inode">Its inode number: with <paramref name="Device"/>, the same for every hard link.</param>
/// <param name="Size">Its size in bytes.</param>
internal readonly record struct FileStatus(int Type, ulong Device, ulong Inode, long Size)
{
    public bool IsRegularFile => Type == (int)LibC.S_IFREG;

    public bool IsDirectory => Type == (int)LibC.S_IFDIR;
}
