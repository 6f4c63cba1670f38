using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace Sandrun.Linux.Cgroups;

/// <summary>
/// Keeps a few empty job cgroups ready so that creating them (a memory-cgroup mkdir is the slow part) is off
/// each job's critical path. Jobs take one, get their limits applied, and remove it when done; a background
/// refill tops the pool up. Disposing removes whatever is still pooled.
/// </summary>
internal sealed class CgroupPool(ICgroupFactory factory, int size) : IDisposable
{
    private readonly ConcurrentQueue<IJobCgroup> ready = new();
    private long counter;
    private int refilling;
    private volatile bool disposed;

    public string Description => factory.Description;

    public bool UsesCloneInto => factory.UsesCloneInto;

    /// <summary>A fresh, empty cgroup with no limits applied yet.</summary>
    public IJobCgroup Take()
    {
        var job = ready.TryDequeue(out var pooled) ? pooled : factory.Create(NewName());
        Refill();
        return job;
    }

    public void Dispose()
    {
        disposed = true;
        while (ready.TryDequeue(out var job))
        {
            job.Dispose();
        }

        if (Volatile.Read(ref refilling) == 0)
        {
            factory.Dispose();
        }
    }

    private string NewName() => string.Create(CultureInfo.InvariantCulture,
        $"job-{Interlocked.Increment(ref counter)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

    private void Refill()
    {
        if (disposed || ready.Count >= size || Interlocked.Exchange(ref refilling, 1) == 1)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            try
            {
                while (!disposed && ready.Count < size)
                {
                    ready.Enqueue(factory.Create(NewName()));
                }

                // Raced with Dispose: nothing may stay behind.
                if (disposed)
                {
                    Dispose();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Jobs fall back to creating their cgroup themselves and report errors there.
            }
            finally
            {
                Volatile.Write(ref refilling, 0);
            }
        }, null);
    }
}
