using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>
/// The engine as hosts use it: submit a job, find it, delete it, and the queue's counters. A façade over the engine's
/// services — admission (the submit path), the workers (running jobs) and retention (deleting them) — whose one
/// place that ends a job is the finisher behind them.
/// </summary>
public sealed class JobEngine
{
    private readonly JobAdmission admission;
    private readonly JobRunner runner;
    private readonly JobRetention retention;
    private readonly JobStore store;
    private readonly IJobQueue queue;

    internal JobEngine(JobAdmission admission, JobRunner runner, JobRetention retention, JobStore store, IJobQueue queue)
    {
        this.admission = admission;
        this.runner = runner;
        this.retention = retention;
        this.store = store;
        this.queue = queue;
    }

    /// <summary>Jobs waiting.</summary>
    public int QueueLength => queue.Count;

    /// <summary>Jobs running now.</summary>
    public int RunningJobs => runner.Running;

    /// <summary>1-based queue position, 0 when not queued.</summary>
    public int PositionOf(string jobId) => queue.PositionOf(jobId);

    /// <summary>Finds a live job.</summary>
    public bool TryGet(string jobId, out Job job) => store.TryGet(jobId, out job);

    /// <summary>Admits a job or throws <see cref="SubmitException"/> saying why it was refused.</summary>
    public Task<(string JobId, int Position)> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken) =>
        admission.SubmitAsync(request, cancellationToken);

    /// <summary>
    /// Admits a job under <paramref name="jobId"/>, an id a trusted caller issued (a broker's), so the job's signed
    /// receipt names that id; otherwise as <see cref="SubmitAsync(SubmitRequest, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="jobId"/> is not a well-formed job id (<see cref="JobStore.IsWellFormedId"/>).</exception>
    /// <exception cref="InvalidOperationException">A live job has that id.</exception>
    public Task<(string JobId, int Position)> SubmitAsync(string jobId, SubmitRequest request, CancellationToken cancellationToken) =>
        admission.SubmitAsync(jobId, request, cancellationToken);

    /// <summary>
    /// Deletes a job and its data now (outputs downloaded, or no longer wanted); a running job's run is stopped first.
    /// False when it is gone already.
    /// </summary>
    public bool Delete(string jobId) => retention.Delete(jobId);
}
