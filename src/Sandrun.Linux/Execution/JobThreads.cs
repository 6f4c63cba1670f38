namespace Sandrun.Linux.Execution;

/// <summary>
/// Long-lived threads for jobs (spawning and monitoring block): a warm thread starts a job faster than a new
/// one. Threads are created on demand, park when idle and exit after the idle timeout. A thread whose network
/// namespace could not be restored is retired instead of reused.
/// </summary>
/// <remarks>
/// There is no shared work queue: <see cref="Run"/> puts the job straight into one parked thread's own slot,
/// under the lock, or starts a new thread with it. A parked thread whose wait times out looks at its slot under
/// the same lock before it leaves, so a job handed over at that very moment is run, never stranded.
/// </remarks>
internal sealed class JobThreads
{
    private readonly TimeSpan idleTimeout;
    private readonly object gate = new();

    // Most recently parked last: Run takes the warmest thread and the others reach their timeout.
    private readonly LinkedList<Slot> parked = new();

    public JobThreads()
        : this(TimeSpan.FromSeconds(30))
    {
    }

    internal JobThreads(TimeSpan idleTimeout) => this.idleTimeout = idleTimeout;

    public void Run(Action job)
    {
        lock (gate)
        {
            if (parked.Last is { } node)
            {
                parked.Remove(node);
                node.Value.Job = job;
                node.Value.Arrived.Set();
                return;
            }
        }

        new Thread(() => Loop(job)) { IsBackground = true, Name = "sandrun-job" }.Start();
    }

    private void Loop(Action job)
    {
        using var slot = new Slot();
        for (Action? next = job; next is not null; next = Park(slot))
        {
            try
            {
                next();
            }
            catch (RetireThreadException)
            {
                return;
            }
        }
    }

    /// <summary>Waits for the next job; null when none came within the idle timeout (the thread then exits).</summary>
    private Action? Park(Slot slot)
    {
        lock (gate)
        {
            parked.AddLast(slot.Node);
        }

        slot.Arrived.Wait(idleTimeout);
        Action? job;
        lock (gate)
        {
            // Run fills a slot only while taking it off the list, both under this lock: an empty slot is still
            // listed, and leaving the list here means no Run can pick this thread any more.
            job = slot.Job;
            if (job is null)
            {
                parked.Remove(slot.Node);
                return null;
            }
        }

        slot.Job = null;
        slot.Arrived.Reset();
        return job;
    }

    /// <summary>One thread's mailbox: the job handed to it and the event that wakes it.</summary>
    private sealed class Slot : IDisposable
    {
        public Slot() => Node = new LinkedListNode<Slot>(this);

        public LinkedListNode<Slot> Node { get; }

        public ManualResetEventSlim Arrived { get; } = new();

        public Action? Job { get; set; }

        public void Dispose() => Arrived.Dispose();
    }
}

/// <summary>Thrown (after the job's outcome is recorded) to end the current job thread for good.</summary>
internal sealed class RetireThreadException : Exception
{
}
