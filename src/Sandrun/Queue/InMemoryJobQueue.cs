using Microsoft.Extensions.Options;
using Sandrun.Abstractions;

namespace Sandrun.Queue;

/// <summary>
/// A bounded in-memory FIFO with 1-based positions (SPEC.md <c>queue_position</c>). Taken jobs are always its oldest
/// (taking picks the oldest untaken one, and removal keeps the order), so they form a prefix of the list.
/// </summary>
public sealed class InMemoryJobQueue : IJobQueue
{
    private readonly Lock gate = new();
    private readonly LinkedList<string> order = new();
    private readonly Dictionary<string, LinkedListNode<string>> nodes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim available = new(0);
    private readonly int capacity;
    private int taken;

    /// <summary>Creates the queue with <see cref="SandrunOptions.QueueCapacity"/>.</summary>
    public InMemoryJobQueue(IOptions<SandrunOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        capacity = options.Value.QueueCapacity;
    }

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (gate)
            {
                return order.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<int> TryEnqueueAsync(string jobId, CancellationToken cancellationToken = default)
    {
        int position;
        lock (gate)
        {
            if (order.Count >= capacity || nodes.ContainsKey(jobId))
            {
                return ValueTask.FromResult(0);
            }

            nodes[jobId] = order.AddLast(jobId);
            position = order.Count;
        }

        available.Release();
        return ValueTask.FromResult(position);
    }

    /// <inheritdoc />
    public async ValueTask<string> TakeAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            // One release per enqueued job; a job removed before anyone took it leaves a release with nothing behind it.
            await available.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                var next = order.First;
                for (var i = 0; i < taken && next is not null; i++)
                {
                    next = next.Next;
                }

                if (next is not null)
                {
                    taken++;
                    return next.Value;
                }
            }
        }
    }

    /// <inheritdoc />
    public bool Remove(string jobId)
    {
        lock (gate)
        {
            if (!nodes.Remove(jobId, out var node))
            {
                return false;
            }

            if (IsTaken(node))
            {
                taken--;
            }

            order.Remove(node);
            return true;
        }
    }

    /// <inheritdoc />
    public int PositionOf(string jobId)
    {
        lock (gate)
        {
            if (!nodes.TryGetValue(jobId, out var node))
            {
                return 0;
            }

            var position = 1;
            for (var n = order.First; n != node; n = n!.Next)
            {
                position++;
            }

            return position;
        }
    }

    /// <summary>Whether <paramref name="node"/> lies in the taken prefix; called under the lock.</summary>
    private bool IsTaken(LinkedListNode<string> node)
    {
        var n = order.First;
        for (var i = 0; i < taken; i++, n = n!.Next)
        {
            if (n == node)
            {
                return true;
            }
        }

        return false;
    }
}
