using Sandrun.Linux.Native;
using Sandrun.Linux.Spawn;

namespace Sandrun.Linux.Execution;

/// <summary>
/// The fds of one spawn: stdout/stderr pipes (parent reads non-blocking), stdin as a sealed-size memfd
/// (never blocks the parent), the CLOEXEC error pipe and the sync pipe. All are ≥ 3 and CLOEXEC.
/// </summary>
internal sealed unsafe class ChildPipes : IDisposable
{
    private const int F_DUPFD_CLOEXEC = 1030;
    private int stdin = -1, stdoutRead = -1, stdoutWrite = -1, stderrRead = -1, stderrWrite = -1;
    private int errRead = -1, errWrite = -1, syncRead = -1, syncWrite = -1, statusRead = -1, statusWrite = -1;

    public int StdoutRead => stdoutRead;

    public int StderrRead => stderrRead;

    public int ErrRead => errRead;

    public int ErrWrite => errWrite;

    public int SyncWrite => syncWrite;

    /// <summary>Where sandrun-init reports the payload's exec failure or wait status.</summary>
    public int StatusRead => statusRead;

    public ChildFds ForChild(int initFd, int serverPidfd, int workspaceTree, IReadOnlyList<int> cgroupTasks) =>
        new(stdin, stdoutWrite, stderrWrite, errWrite, syncRead, statusWrite, initFd, serverPidfd, workspaceTree, cgroupTasks);

    public static ChildPipes Create(ReadOnlySpan<byte> stdinBytes)
    {
        var p = new ChildPipes();
        try
        {
            p.stdin = High(Libc.MemfdCreate("sandrun-stdin", Libc.MFD_CLOEXEC), "memfd_create");
            fixed (byte* data = stdinBytes)
            {
                var written = 0;
                while (written < stdinBytes.Length)
                {
                    var r = Libc.Write(p.stdin, data + written, stdinBytes.Length - written);
                    if (r <= 0)
                    {
                        throw Libc.Error("write stdin");
                    }

                    written += (int)r;
                }
            }

            Libc.Lseek(p.stdin, 0, 0);
            (p.stdoutRead, p.stdoutWrite) = Pipe();
            (p.stderrRead, p.stderrWrite) = Pipe();
            (p.errRead, p.errWrite) = Pipe();
            (p.syncRead, p.syncWrite) = Pipe();
            (p.statusRead, p.statusWrite) = Pipe();
            foreach (var fd in new[] { p.stdoutRead, p.stderrRead, p.statusRead })
            {
                Libc.Fcntl(fd, Libc.F_SETFL, Libc.Fcntl(fd, Libc.F_GETFL, 0) | Libc.O_NONBLOCK);
            }

            return p;
        }
        catch
        {
            p.Dispose();
            throw;
        }
    }

    /// <summary>Closes the parent's copies of the child's ends (after the clone), so EOF means what it should.</summary>
    public void CloseChildEnds()
    {
        Libc.CloseQuietly(ref stdin);
        Libc.CloseQuietly(ref stdoutWrite);
        Libc.CloseQuietly(ref stderrWrite);
        Libc.CloseQuietly(ref errWrite);
        Libc.CloseQuietly(ref syncRead);
        Libc.CloseQuietly(ref statusWrite);
    }

    public void Dispose()
    {
        CloseChildEnds();
        Libc.CloseQuietly(ref stdoutRead);
        Libc.CloseQuietly(ref stderrRead);
        Libc.CloseQuietly(ref errRead);
        Libc.CloseQuietly(ref syncWrite);
        Libc.CloseQuietly(ref statusRead);
    }

    private static (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) != 0)
        {
            throw Libc.Error("pipe2");
        }

        return (High(fds[0], "pipe2"), High(fds[1], "pipe2"));
    }

    /// <summary>
    /// Keeps fds at 10 and above: the child moves its fds onto 0..3, which must never collide with one it
    /// still needs (a host process started without stdio would hand out low numbers).
    /// </summary>
    public static int High(int fd, string what)
    {
        if (fd < 0)
        {
            throw Libc.Error(what);
        }

        if (fd >= 10)
        {
            return fd;
        }

        var moved = Libc.Fcntl(fd, F_DUPFD_CLOEXEC, 10);
        Libc.Close(fd);
        return moved >= 0 ? moved : throw Libc.Error("fcntl(F_DUPFD_CLOEXEC)");
    }
}
