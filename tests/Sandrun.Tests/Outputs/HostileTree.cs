using System.Runtime.InteropServices;
using System.Text;
using Sandrun.Native;

namespace Sandrun.Tests.Outputs;

/// <summary>
/// Builds what a job could leave in its workspace, fd-relative and with raw byte names: trees deeper than PATH_MAX,
/// names that are not UTF-8, FIFOs, sockets, device nodes, symlink loops and hard links.
/// </summary>
internal sealed partial class HostileTree : IDisposable
{
    private const int S_IFIFO = 0x1000, S_IFCHR = 0x2000, S_IFSOCK = 0xC000;
    private static readonly int DirectoryFlags = Posix.O_RDONLY | Posix.O_DIRECTORY | Posix.O_CLOEXEC;

    private readonly int fd;

    private HostileTree(int fd) => this.fd = fd >= 0 ? fd : throw new IOException($"open: errno {Marshal.GetLastPInvokeError()}");

    /// <summary>The directory at <paramref name="path"/> (a host path).</summary>
    public static HostileTree Open(string path) => new(OpenAt(-100, Name(path), DirectoryFlags, 0));

    /// <summary>A UTF-8 name, NUL-terminated.</summary>
    public static byte[] Name(string name) => [.. Encoding.UTF8.GetBytes(name), 0];

    /// <summary>Makes directory <paramref name="name"/> and opens it.</summary>
    public HostileTree Directory(byte[] name)
    {
        Check(MkdirAt(fd, name, 0x1ed), "mkdirat");
        return new HostileTree(OpenAt(fd, name, DirectoryFlags, 0));
    }

    public HostileTree Directory(string name) => Directory(Name(name));

    /// <summary>
    /// Makes <paramref name="levels"/> directories named <paramref name="name"/>, each inside the previous one, and
    /// opens the deepest; no path is ever longer than one name, so any depth works.
    /// </summary>
    public HostileTree Chain(string name, int levels)
    {
        var current = Directory(name);
        for (var i = 1; i < levels; i++)
        {
            using var previous = current;
            current = previous.Directory(name);
        }

        return current;
    }

    public void File(byte[] name, string content)
    {
        var file = OpenAt(fd, name, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_CLOEXEC, 0x1a4);
        Check(file < 0 ? -1 : 0, "openat");
        var bytes = Encoding.UTF8.GetBytes(content);
        var written = Write(file, bytes, bytes.Length);
        Close(file);
        Check((int)written - bytes.Length, "write");
    }

    public void File(string name, string content) => File(Name(name), content);

    public void Fifo(string name) => Check(MknodAt(fd, Name(name), S_IFIFO | 0x1a4, 0), "mknodat fifo");

    public void Socket(string name) => Check(MknodAt(fd, Name(name), S_IFSOCK | 0x1a4, 0), "mknodat socket");

    /// <summary>A character device with /dev/null's numbers (1, 3).</summary>
    public void NullDevice(string name) => Check(MknodAt(fd, Name(name), S_IFCHR | 0x1a4, (1 << 8) | 3), "mknodat chr");

    public void Symlink(string target, string name) => Check(SymlinkAt(Name(target), fd, Name(name)), "symlinkat");

    public void HardLink(string existing, string name) => Check(LinkAt(fd, Name(existing), fd, Name(name), 0), "linkat");

    public void Dispose() => Close(fd);

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new IOException($"{what}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true)]
    private static partial int OpenAt(int directory, byte[] name, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true)]
    private static partial int MkdirAt(int directory, byte[] name, int mode);

    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true)]
    private static partial int MknodAt(int directory, byte[] name, int mode, ulong device);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true)]
    private static partial int SymlinkAt(byte[] target, int directory, byte[] name);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true)]
    private static partial int LinkAt(int fromDirectory, byte[] from, int toDirectory, byte[] to, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
