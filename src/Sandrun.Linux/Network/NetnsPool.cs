using Sandrun.Abstractions;
using Sandrun.Linux.Native;
using Sandrun.Linux.Spawn;

namespace Sandrun.Linux.Network;

/// <summary>
/// Fresh, empty network namespaces, one per job and never reused, so no two jobs share socket tables, ports or
/// abstract UNIX socket names. Creating one costs ~0.4 ms with a multi-millisecond tail (serialised kernel-wide),
/// so a dedicated thread keeps a few ready. A job's clone joins its namespace (setns around the clone, in the
/// spawn routine) and the job's fd is closed right after: the namespace then lives exactly as long as the job's
/// processes. Only loopback exists in it, and it stays down: the namespace belongs to the host's user namespace,
/// where jobs have no privilege.
/// </summary>
internal sealed class NetnsPool : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private readonly object gate = new();
    private readonly Queue<int> ready = new();
    private readonly int size;
    private readonly Thread refill;
    private int hostFd;
    private bool disposed;

    private NetnsPool(int hostFd, int size)
    {
        this.hostFd = hostFd;
        this.size = size;

        // unshare() changes the calling thread only; this thread runs nothing else, so a namespace it could not
        // leave never reaches other work.
        refill = new Thread(Refill) { IsBackground = true, Name = "sandrun-netns" };
    }

    /// <summary>fd of the host namespace a spawning thread returns to after the clone.</summary>
    public int HostFd => hostFd;

    /// <summary>Starts a pool keeping <paramref name="size"/> namespaces ready; fails when this host cannot create one.</summary>
    public static NetnsPool Create(int size)
    {
        var hostFd = Libc.Open("/proc/self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (hostFd < 0)
        {
            throw new SandboxUnavailableException(Libc.Error("open /proc/self/ns/net").Message);
        }

        var pool = new NetnsPool(hostFd, size);
        try
        {
            // One now, on this caller's thread: a host that cannot create namespaces fails at setup, not per job.
            pool.ready.Enqueue(CreateOnThisThread(hostFd));
        }
        catch (Exception e)
        {
            pool.Dispose();
            throw new SandboxUnavailableException("cannot create a network namespace: " + e.Message, e);
        }

        pool.refill.Start();
        return pool;
    }

    /// <summary>
    /// A namespace no job has used. When none is ready, one is created on the calling thread (which must then be
    /// retired if <see cref="TaintedThreadException"/> says it could not return to the host namespace).
    /// </summary>
    public JobNetns Take()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            Monitor.Pulse(gate);
            if (ready.TryDequeue(out var fd))
            {
                return new JobNetns(fd);
            }
        }

        return new JobNetns(CreateOnThisThread(hostFd));
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            Monitor.Pulse(gate);
        }

        // The refill thread needs the host fd to step back out of each namespace it makes.
        if (refill.IsAlive)
        {
            refill.Join();
        }

        while (ready.TryDequeue(out var fd))
        {
            Libc.Close(fd);
        }

        Libc.CloseQuietly(ref hostFd);
    }

    private static int CreateOnThisThread(int hostFd)
    {
        if (Libc.Unshare(CLONE_NEWNET) != 0)
        {
            throw Libc.Error("unshare(CLONE_NEWNET)");
        }

        var fd = Libc.Open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        var openErrno = fd < 0 ? Libc.LastErrno : 0;
        if (Libc.Setns(hostFd, CLONE_NEWNET) != 0)
        {
            var error = Libc.Error("setns back to the host network namespace");
            Libc.CloseQuietly(ref fd);
            throw new TaintedThreadException(error);
        }

        return fd >= 0 ? fd : throw Libc.Error("open the new network namespace", openErrno);
    }

    private void Refill()
    {
        while (true)
        {
            lock (gate)
            {
                while (!disposed && ready.Count >= size)
                {
                    Monitor.Wait(gate);
                }

                if (disposed)
                {
                    return;
                }
            }

            int fd;
            try
            {
                fd = CreateOnThisThread(hostFd);
            }
            catch (TaintedThreadException)
            {
                // Stuck in a namespace of its own: this thread stops; jobs create theirs when the pool is empty.
                return;
            }
            catch (ErrnoException)
            {
                // e.g. a namespace limit: try again after the next job took one (jobs report the error themselves).
                lock (gate)
                {
                    if (!disposed)
                    {
                        Monitor.Wait(gate);
                    }
                }

                continue;
            }

            lock (gate)
            {
                if (disposed)
                {
                    Libc.Close(fd);
                    return;
                }

                ready.Enqueue(fd);
            }
        }
    }
}

/// <summary>One job's network namespace; dispose once the job's clone has joined it.</summary>
internal sealed class JobNetns(int fd) : IDisposable
{
    private int fd = fd;

    public int Fd => fd;

    public void Dispose() => Libc.CloseQuietly(ref fd);
}
