namespace Sandrun.Jobs;

/// <summary>
/// The one moment a taken job starts, whoever reaches it first: the worker (at once, or when the run ended before it
/// had a start slot) or the sandbox's thread taking the slot (<see cref="Abstractions.SandboxSpec.OnStart"/>).
/// </summary>
internal sealed class JobStart(Job job, Action<Job> start)
{
    private int happened;
    private long at;

    /// <summary>Whether the job has started.</summary>
    public bool Happened => Volatile.Read(ref happened) == 1;

    /// <summary>When it started (a <see cref="System.Diagnostics.Stopwatch"/> timestamp), 0 until it has.</summary>
    public long At => Volatile.Read(ref at);

    /// <summary>Starts the job unless it has started already.</summary>
    public void Now()
    {
        if (Interlocked.Exchange(ref happened, 1) == 0)
        {
            Volatile.Write(ref at, System.Diagnostics.Stopwatch.GetTimestamp());
            start(job);
        }
    }
}
