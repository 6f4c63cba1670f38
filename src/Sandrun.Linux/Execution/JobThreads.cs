namespace Sandrun.Linux.Execution;

/// <summary>
/// Long-lived threads for jobs (spawning and monitoring block): a warm thread starts a job faster than a new
/// one. Threads are created on demand, park when idle and exit after <see cref="IdleTimeout"/>. A thread
/// whose network namespace could not be restored is retired instead of reused.
/// </summary>
internal sealed class JobThreads
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(30);
    private readonly object gate = new();
    private readonly Queue<Action> work = new();
    private int idle;

    public void Run(Action job)
    {
        lock (gate)
        {
            work.Enqueue(job);
            if (idle > 0)
            {
                idle--;
                Monitor.Pulse(gate);
                return;
            }
        }

        new Thread(Loop) { IsBackground = true, Name = "sandrun-job" }.Start();
    }

    private void Loop()
    {
        while (true)
        {
            Action job;
            lock (gate)
            {
                if (!work.TryDequeue(out job!))
                {
                    idle++;
                    if (!Monitor.Wait(gate, IdleTimeout) && work.Count == 0)
                    {
                        idle--;
                        return;
                    }

                    if (!work.TryDequeue(out job!))
                    {
                        continue;
                    }
                }
            }

            try
            {
                job();
            }
            catch (RetireThreadException)
            {
                return;
            }
        }
    }
}

/// <summary>Thrown (after the job's outcome is recorded) to end the current job thread for good.</summary>
internal sealed class RetireThreadException : Exception
{
}
