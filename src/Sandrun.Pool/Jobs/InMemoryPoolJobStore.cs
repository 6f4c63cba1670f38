namespace Sandrun.Pool.Jobs;

/// <summary>The pool's state in this process's memory (lost on restart; jobs on workers then become unreachable through it).</summary>
public sealed class InMemoryPoolJobStore : IPoolJobStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, PoolJob> jobs = new(StringComparer.Ordinal);
    private readonly LinkedList<PoolJob> queue = new();

    /// <inheritdoc />
    public int QueueLength
    {
        get
        {
            lock (gate)
            {
                return queue.Count;
            }
        }
    }

    /// <inheritdoc />
    public void Add(PoolJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (gate)
        {
            jobs.Add(job.Id, job);
        }
    }

    /// <inheritdoc />
    public int Enqueue(PoolJob job, int capacity)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (gate)
        {
            if (queue.Count >= capacity)
            {
                return 0;
            }

            jobs.Add(job.Id, job);
            queue.AddLast(job);
            return queue.Count;
        }
    }

    /// <inheritdoc />
    public PoolJob? Head()
    {
        lock (gate)
        {
            return queue.First?.Value;
        }
    }

    /// <inheritdoc />
    public void Dequeue(PoolJob job)
    {
        lock (gate)
        {
            queue.Remove(job);
        }
    }

    /// <inheritdoc />
    public int PositionOf(PoolJob job)
    {
        lock (gate)
        {
            var position = 1;
            for (var node = queue.First; node is not null; node = node.Next, position++)
            {
                if (ReferenceEquals(node.Value, job))
                {
                    return position;
                }
            }

            return 0;
        }
    }

    /// <inheritdoc />
    public PoolJob? Find(string id)
    {
        lock (gate)
        {
            return jobs.GetValueOrDefault(id);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<PoolJob> InFlight()
    {
        lock (gate)
        {
            return [.. jobs.Values.Where(j => j.State == PoolJobState.Dispatched)];
        }
    }

    /// <inheritdoc />
    public int ForgetEndedBefore(DateTimeOffset cutoff)
    {
        lock (gate)
        {
            var old = jobs.Values.Where(j => j.State == PoolJobState.Ended && j.EndedAt < cutoff).Select(j => j.Id).ToList();
            foreach (var id in old)
            {
                jobs.Remove(id);
            }

            return old.Count;
        }
    }

    /// <inheritdoc />
    public void Forget(string id)
    {
        lock (gate)
        {
            if (jobs.Remove(id, out var job))
            {
                queue.Remove(job);
            }
        }
    }
}
