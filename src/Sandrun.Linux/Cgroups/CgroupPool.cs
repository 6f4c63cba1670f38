using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Sandrun.Abstractions;

namespace Sandrun.Linux.Cgroups;

/// <summary>
/// Keeps a few empty job cgroups ready so that creating them (a memory-cgroup mkdir is the slow part) is off
/// each job's critical path. Jobs take one, get their limits applied, and remove it when done; a background
/// refill tops the pool up. Disposing removes whatever is still pooled; the factory (the server's parent cgroups) is
/// disposed once the last cgroup is gone, including those of jobs still tearing down and a refill still under way.
/// </summary>
internal sealed class CgroupPool(ICgroupFactory factory, int size) : IDisposable
{
    private readonly ConcurrentQueue<IJobCgroup> ready = new();
    private long counter;
    private int refilling;
    private int disposed;

    // One for the pool itself, one per cgroup not yet removed, one for a refill under way; the factory goes at zero.
    private int references = 1;

    public string Description => factory.Description;

    public bool UsesCloneInto => factory.UsesCloneInto;

    private bool Disposed => Volatile.Read(ref disposed) == 1;

    /// <summary>A fresh, empty cgroup with no limits applied yet.</summary>
    public IJobCgroup Take()
    {
        var job = ready.TryDequeue(out var pooled) ? pooled : Create();
        Refill();
        return job;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        Drain();
        Release();
    }

    private IJobCgroup Create()
    {
        if (!TryAddReference())
        {
            throw new ObjectDisposedException(nameof(CgroupPool));
        }

        try
        {
            return new Pooled(factory.Create(NewName()), this);
        }
        catch
        {
            Release();
            throw;
        }
    }

    private void Drain()
    {
        while (ready.TryDequeue(out var job))
        {
            job.Dispose();
        }
    }

    private bool TryAddReference()
    {
        var current = Volatile.Read(ref references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref references) == 0)
        {
            factory.Dispose();
        }
    }

    private string NewName() => string.Create(CultureInfo.InvariantCulture,
        $"job-{Interlocked.Increment(ref counter)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

    private void Refill()
    {
        if (Disposed || ready.Count >= size || Interlocked.Exchange(ref refilling, 1) == 1)
        {
            return;
        }

        if (!TryAddReference())
        {
            Volatile.Write(ref refilling, 0);
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                while (!Disposed && ready.Count < size)
                {
                    ready.Enqueue(Create());
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Jobs fall back to creating their cgroup themselves and report errors there.
            }
            finally
            {
                Volatile.Write(ref refilling, 0);

                // Raced with Dispose: nothing may stay behind.
                if (Disposed)
                {
                    Drain();
                }

                Release();
            }
        }, null);
    }

    /// <summary>A pooled job cgroup: removing it gives its reference back.</summary>
    private sealed class Pooled(IJobCgroup inner, CgroupPool pool) : IJobCgroup
    {
        private int removed;

        public int CloneIntoFd => inner.CloneIntoFd;

        public IReadOnlyList<int> TaskFds => inner.TaskFds;

        public void Apply(SandboxLimits limits) => inner.Apply(limits);

        public TimeSpan ReadCpu() => inner.ReadCpu();

        public CgroupUsage ReadUsage() => inner.ReadUsage();

        public void KillAll() => inner.KillAll();

        public void Dispose()
        {
            if (Interlocked.Exchange(ref removed, 1) == 0)
            {
                try
                {
                    inner.Dispose();
                }
                finally
                {
                    pool.Release();
                }
            }
        }
    }
}
