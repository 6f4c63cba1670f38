using Microsoft.Extensions.Options;
using Sandrun.Abstractions;

namespace Sandrun.Queue;

/// <summary>A bounded in-memory FIFO with 1-based positions (SPEC.md <c>queue_position</c>).</summary>
public sealed class InMemoryJobQueue : IJobQueue
{
    private readonly Lock gate = new();
    private readonly LinkedList<string> order = new();
    private readonly Dictionary<string, LinkedListNode<string>> nodes = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim available = new(0);
    private readonly int capacity;

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
    public async ValueTask<string> DequeueAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            await available.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                if (order.First is { } first)
                {
                    order.RemoveFirst();
                    nodes.Remove(first.Value);
                    return first.Value;
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
}

