using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Manifest;
using Sandrun.Outputs;
using Sandrun.Quotas;

namespace Sandrun.Jobs;

/// <summary>
/// The workers: N loops that take queued jobs and run them (with OverlapSetup and a sandbox that honours a start gate, 2N loops sharing N
/// start slots: the next job's sandbox is set up while the current program runs, and at most N programs run at once) — the install step when the manifest has requirements,
/// then the program in the sandbox — collect their outputs, and hand how each run ended to the finisher. A run stops
/// when its job is deleted or the server stops.
/// A taken job starts (leaves the queue, shows <c>running</c>, gets its start time) only when its program may start:
/// at once without overlap, when its run takes a start slot with it. Until then it stays <c>queued</c> in its place,
/// so positions and the queue's capacity are those clients would see without overlap; at most N jobs wait prepared
/// (2N loops, N of them holding slots). A job whose run ends before it got a slot ends as it would have from the
/// queue when deleted or stopped, and starts and fails at once when its sandbox could not be set up.
/// </summary>
internal sealed partial class JobRunner : BackgroundService
{
    private readonly SandrunOptions options;
    private readonly ISandbox sandbox;
    private readonly IJobQueue queue;
    private readonly JobStore store;
    private readonly ClientQuotas quotas;
    private readonly EngineEnvironment environment;
    private readonly JobFinisher finisher;
    private readonly SandrunMetrics metrics;
    private readonly TimeProvider time;
    private readonly ILogger<JobRunner> logger;
    private readonly OutputLimits outputLimits;
    private readonly RegistryEgress? registries;

    // Never disposed: job threads may give a slot back while the host shuts down, and it holds no wait handle.
    private readonly SemaphoreSlim? startGate;
    private int running;

    public JobRunner(IOptions<SandrunOptions> options, ISandbox sandbox, IJobQueue queue, JobStore store, ClientQuotas quotas, EngineEnvironment environment,
        JobFinisher finisher, SandrunMetrics metrics, TimeProvider time, ILogger<JobRunner> logger)
    {
        this.options = options.Value;
        this.sandbox = sandbox;
        this.queue = queue;
        this.store = store;
        this.quotas = quotas;
        this.environment = environment;
        this.finisher = finisher;
        this.metrics = metrics;
        this.time = time;
        this.logger = logger;

        // Real content fits in the workspace; the slack is for sparse files, whose apparent size does not count there.
        outputLimits = OutputLimits.Default with { MaxHashedBytes = 2 * ((long)this.options.Limits.WorkspaceMb << 20) };
        metrics.ObserveQueue(() => queue.Count, () => Running);
        startGate = this.options.OverlapSetup && sandbox.HonoursStartGate ? new SemaphoreSlim(Math.Max(1, this.options.Workers)) : null;
        if (this.options.Requirements.AllowNetwork)
        {
            registries = new RegistryEgress(this.options.Requirements);
            LogNetworkedInstalls(logger, string.Join(", ", registries.All));
        }
    }

    /// <summary>Jobs running now.</summary>
    public int Running => Volatile.Read(ref running);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.Workers) * (startGate is null ? 1 : 2)).Select(_ => WorkAsync(stoppingToken)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            string id;
            try
            {
                id = await queue.TakeAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // A job deleted while it waited has been ended (and removed from the queue) by its deleter.
            if (store.TryGet(id, out var job) && job.Lifecycle.TryStart())
            {
                await RunAsync(job, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                queue.Remove(id);
            }
        }
    }

    private async Task RunAsync(Job job, CancellationToken stoppingToken)
    {
        var start = new JobStart(job, Start);
        if (startGate is null)
        {
            start.Now();
        }

        JobOutcome? outcome;
        using (var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, job.Lifecycle.Deleted))
        {
            try
            {
                outcome = await RunInSandboxAsync(job, start, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Deleted, or the server is stopping: the job ends without a result.
                outcome = null;
            }
            catch (Exception e)
            {
                // Engine-side failure: the job fails, the worker carries on.
                LogEngineFailure(logger, job.Id, e.GetType().Name, e.StackTrace);
                outcome = JobOutcome.ServerFailure("internal error while finishing the job");
            }
        }

        if (outcome is not null)
        {
            // Its run ended before it had a start slot (the sandbox could not be set up): it starts and fails now.
            start.Now();
        }

        if (start.Happened)
        {
            Interlocked.Decrement(ref running);
            metrics.Phase("queue", job.StartedAt!.Value - job.SubmittedAt);
        }
        else
        {
            // Deleted or stopped while it waited prepared: it leaves the queue as a job deleted before it was taken.
            queue.Remove(job.Id);
        }

        var finishing = Stopwatch.GetTimestamp();
        finisher.Finish(job, outcome);
        metrics.Phase("finish", Stopwatch.GetElapsedTime(finishing));
    }

    /// <summary>
    /// The job's program may start: it gets its start time and status first, then leaves the queue, so that a reader
    /// who finds it out of the queue finds it running. Runs once per job, on the thread that took its start slot, just
    /// before its program is let go: nothing more.
    /// </summary>
    private void Start(Job job)
    {
        Interlocked.Increment(ref running);
        job.StartedAt = time.GetUtcNow();
        job.Status = JobStatus.Running;
        queue.Remove(job.Id);
    }

    private async Task<JobOutcome> RunInSandboxAsync(Job job, JobStart start, CancellationToken cancellationToken)
    {
        var limits = JobSandboxSpec.Limits(job, options.Limits);
        var meter = new CpuMeter(quotas, job.Client);
        string? setupError = null;
        SandboxResult result;
        var started = Stopwatch.GetTimestamp();
        try
        {
            result = await InstallRequirementsAsync(job, limits, start, cancellationToken).ConfigureAwait(false)
                ?? await sandbox.RunAsync(JobSandboxSpec.For(job, limits, environment, meter.Report) with { StartGate = startGate, OnStart = start.Now }, job.Log, cancellationToken).ConfigureAwait(false);

            // From the job's start: a prepared job's setup before its start slot overlapped the program ahead of it.
            metrics.Phase("sandbox", Stopwatch.GetElapsedTime(Math.Max(started, start.At)));
        }
        catch (SandboxUnavailableException e)
        {
            setupError = e.Message;
            result = new SandboxResult(FailureReason.SetupError, null, null, TimeSpan.Zero, 0, TimeSpan.Zero) { Detail = e.Message };
            LogSandboxUnavailable(logger, job.Id, e.Message);
        }

        if (result.OutputTruncated)
        {
            var marker = Encoding.UTF8.GetBytes($"\n[sandrun: output truncated at {options.Limits.OutputBytesPerStream} bytes per stream; job killed]\n");
            job.Log.OnOutput(SandboxStream.Stderr, marker);
        }

        job.Log.Complete(result.OutputTruncated);
        meter.Report(result.CpuTime);
        if (result.FailureReason == FailureReason.SetupError)
        {
            setupError ??= result.Detail;
        }

        started = Stopwatch.GetTimestamp();
        var outcome = Collect(job, result, setupError);
        metrics.Phase("collect", Stopwatch.GetElapsedTime(started));
        return outcome;
    }

    /// <summary>Runs the install step when the manifest has requirements; returns its result only when it failed.</summary>
    private async Task<SandboxResult?> InstallRequirementsAsync(Job job, SandboxLimits limits, JobStart start, CancellationToken cancellationToken)
    {
        if (RequirementsStep.Spec(job.Manifest, options.Requirements, registries, job.Workspace.Path, limits) is not { } install)
        {
            return null;
        }

        job.Log.OnOutput(SandboxStream.Stderr, Encoding.UTF8.GetBytes($"[sandrun] installing {job.Manifest.Requirements}\n"));
        var meter = new CpuMeter(quotas, job.Client);
        var result = await sandbox.RunAsync(install with { CpuProgress = meter.Report, StartGate = startGate, OnStart = start.Now }, job.Log, cancellationToken).ConfigureAwait(false);
        meter.Report(result.CpuTime);
        if (result.Succeeded)
        {
            return null;
        }

        job.Log.OnOutput(SandboxStream.Stderr, Encoding.UTF8.GetBytes($"[sandrun] installing {job.Manifest.Requirements} failed; the job did not run\n"));
        return result;
    }

    /// <summary>
    /// Collects the job's outputs. Whatever the job left in its workspace must not cost it its receipt: should collection
    /// fail, the job ends failed (setup_error unless the program had already failed) with no outputs, and says why.
    /// </summary>
    private JobOutcome Collect(Job job, SandboxResult result, string? setupError)
    {
        var globs = job.Manifest.Outputs.Select(OutputGlob.Parse).ToArray();
        try
        {
            var outputs = OutputCollector.Collect(job.Workspace.Path, job.Inputs, globs.Length == 0 ? null : p => globs.Any(g => g.IsMatch(p)),
                RequirementsStep.IsInstalled, outputLimits);
            return new JobOutcome(result, outputs.Files, outputs.Notes, setupError);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCollectionFailed(logger, job.Id, e.GetType().Name);
            return new JobOutcome(result.Succeeded ? result with { FailureReason = FailureReason.SetupError } : result, [], [],
                setupError ?? "the job's outputs could not be collected");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Requirements:AllowNetwork is on: dependency install steps without a configured mirror may reach {Endpoints} through their egress proxy, nothing else (jobs themselves have no network)")]
    private static partial void LogNetworkedInstalls(ILogger logger, string endpoints);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: sandbox unavailable: {Reason}")]
    private static partial void LogSandboxUnavailable(ILogger logger, string jobId, string reason);

    // Exception messages are not logged: they may name files the job created (SPEC.md §5, no job content in logs).
    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: engine failure while finishing: {ExceptionType} at {StackTrace}")]
    private static partial void LogEngineFailure(ILogger logger, string jobId, string exceptionType, string? stackTrace);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: its outputs could not be collected: {ExceptionType}")]
    private static partial void LogCollectionFailed(ILogger logger, string jobId, string exceptionType);
}
