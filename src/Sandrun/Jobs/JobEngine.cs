using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Intake;
using Sandrun.Manifest;
using Sandrun.Outputs;
using Sandrun.Quotas;

namespace Sandrun.Jobs;

/// <summary>What a client submitted.</summary>
/// <param name="Client">Client key for quotas (the client IP).</param>
/// <param name="Parts">Uploaded files.</param>
/// <param name="ManifestJson">The manifest form field, or null (then <c>job.json</c> from the upload is used).</param>
public sealed record SubmitRequest(string Client, IReadOnlyList<UploadPart> Parts, string? ManifestJson);

/// <summary>
/// The job lifecycle: admission (quota → workspace → safe intake → manifest → queue), N workers running jobs in
/// the sandbox, output collection, retention (deleted after the configured time, or right after a complete
/// download), and deletion that leaves nothing behind. Logs carry ids, sizes and timings only, never content.
/// </summary>
public sealed partial class JobEngine : BackgroundService
{
    private readonly SandrunOptions options;
    private readonly ISandbox sandbox;
    private readonly IWorkspaceProvider workspaces;
    private readonly IJobQueue queue;
    private readonly ClientQuotas quotas;
    private readonly JobStore store;
    private readonly EngineEnvironment environment;
    private readonly SandrunMetrics metrics;
    private readonly TimeProvider time;
    private readonly ILogger<JobEngine> logger;
    private readonly IResultSigner? signer;
    private readonly OutputLimits outputLimits;
    private readonly RegistryEgress? registries;
    private int running;

    /// <summary>Creates the engine.</summary>
    public JobEngine(IOptions<SandrunOptions> options, ISandbox sandbox, IWorkspaceProvider workspaces, IJobQueue queue, ClientQuotas quotas,
        JobStore store, EngineEnvironment environment, SandrunMetrics metrics, TimeProvider time, ILogger<JobEngine> logger, IResultSigner? signer = null)
    {
        this.signer = signer;
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        this.sandbox = sandbox;
        this.workspaces = workspaces;
        this.queue = queue;
        this.quotas = quotas;
        this.store = store;
        this.environment = environment;
        this.metrics = metrics;
        this.time = time;
        this.logger = logger;

        // Real content fits in the workspace; the slack is for sparse files, whose apparent size does not count there.
        outputLimits = OutputLimits.Default with { MaxHashedBytes = 2 * ((long)this.options.Limits.WorkspaceMb << 20) };
        metrics.ObserveQueue(() => queue.Count, () => Volatile.Read(ref running));
        if (this.options.Requirements.AllowNetwork)
        {
            registries = new RegistryEgress(this.options.Requirements);
            LogNetworkedInstalls(logger, string.Join(", ", registries.All));
        }
    }

    /// <summary>Jobs waiting.</summary>
    public int QueueLength => queue.Count;

    /// <summary>Jobs running now.</summary>
    public int RunningJobs => Volatile.Read(ref running);

    /// <summary>1-based queue position, 0 when not queued.</summary>
    public int PositionOf(string jobId) => queue.PositionOf(jobId);

    /// <summary>Finds a live job.</summary>
    public bool TryGet(string jobId, out Job job) => store.TryGet(jobId, out job);

    /// <summary>Admits a job or throws <see cref="SubmitException"/> saying why it was refused.</summary>
    public async Task<(string JobId, int Position)> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = quotas.TryAdmit(request.Client);
        if (!decision.Allowed)
        {
            metrics.Rejected("quota");
            throw new SubmitException(SubmitRefusal.QuotaExceeded, decision.Reason!, decision.RetryAfter);
        }

        var id = JobStore.NewId();
        IWorkspace? workspace = null;
        try
        {
            workspace = workspaces.Create(id, (long)options.Limits.WorkspaceMb << 20);
            var limits = IntakeLimits.Default with { MaxUploadBytes = options.Limits.MaxUploadBytes, MaxExtractedBytes = (long)options.Limits.WorkspaceMb << 20 };
            IntakeResult intake;
            try
            {
                intake = await UploadIntake.ExtractAsync(request.Parts, workspace.Path, limits, workspace.OwnerUid, workspace.OwnerGid, cancellationToken).ConfigureAwait(false);
            }
            catch (IntakeException e)
            {
                throw new SubmitException(e.Kind, e.Details);
            }

            var json = request.ManifestJson ?? ReadJobJson(workspace.Path, intake);
            JobManifest manifest;
            try
            {
                manifest = ManifestParser.Parse(json, new ManifestContext([.. intake.Files.Keys], options.Limits, [.. environment.Templates.Keys], environment.Interpreters));
            }
            catch (ManifestException e)
            {
                throw new SubmitException(SubmitRefusal.InvalidManifest, $"{e.Field}: {e.Details}");
            }

            if (RequirementsStep.Refusal(manifest, options.Requirements) is { } refusal)
            {
                throw new SubmitException(SubmitRefusal.InvalidManifest, refusal);
            }

            var job = new Job(id, request.Client, manifest, workspace, intake.Files, Receipts.JobHash.Compute(manifest, intake.Files), time.GetUtcNow())
            {
                Notes = manifest.Gpu is null ? [] : [GpuRequest.NotGivenNote],
            };
            store.Add(job);
            // The job is stored: from here admission completes or is refused, never half-cancelled.
            var position = await queue.TryEnqueueAsync(id, CancellationToken.None).ConfigureAwait(false);
            if (position == 0)
            {
                store.TryRemove(id, out _);
                metrics.Rejected("queue_full");
                throw new SubmitException(SubmitRefusal.QueueFull, $"{queue.Count} jobs are waiting; try again later", TimeSpan.FromSeconds(10));
            }

            metrics.Submitted();
            LogSubmitted(logger, id, intake.Files.Count, intake.TotalBytes);
            return (id, position);
        }
        catch
        {
            workspace?.Dispose();
            quotas.JobEnded(request.Client);
            throw;
        }
    }

    /// <summary>Deletes a job and its data now (outputs downloaded, or retention expired). False when it is gone already.</summary>
    public bool Delete(string jobId)
    {
        if (!store.TryRemove(jobId, out var job))
        {
            return false;
        }

        if (queue.Remove(jobId))
        {
            quotas.JobEnded(job.Client);
        }

        if (job.Status == JobStatus.Running)
        {
            // The worker finishes the job and disposes the workspace once it sees the job is gone.
            job.Log.Complete(job.Log.Truncated);
        }
        else
        {
            Discard(job);
        }

        LogDeleted(logger, jobId);
        return true;
    }

    /// <summary>Ends a job that no worker holds: output closed, waiters released, workspace deleted.</summary>
    private static void Discard(Job job)
    {
        job.Log.Complete(job.Log.Truncated);
        job.MarkFinished();
        job.Workspace.Dispose();
    }

    /// <summary>Stops the workers (running jobs are killed), then deletes every job: nothing outlives the server.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var job in store.All.ToList())
        {
            if (store.TryRemove(job.Id, out _))
            {
                Discard(job);
            }
        }
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = Enumerable.Range(0, Math.Max(1, options.Workers)).Select(_ => WorkerLoop(stoppingToken));
        return Task.WhenAll([.. workers, RetentionLoop(stoppingToken)]);
    }

    private async Task WorkerLoop(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            string id;
            try
            {
                id = await queue.DequeueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (store.TryGet(id, out var job))
            {
                await RunAsync(job, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(Job job, CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref running);
        job.StartedAt = time.GetUtcNow();
        job.Status = JobStatus.Running;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var m = job.Manifest;
            var limits = new SandboxLimits(TimeSpan.FromSeconds(m.TimeoutSeconds), TimeSpan.FromSeconds(m.CpuSeconds), (long)m.MemoryMb << 20,
                options.Limits.MaxPids, options.Limits.OutputBytesPerStream)
            {
                TmpBytes = (long)options.Limits.WorkspaceMb << 20,
                MaxFileSizeBytes = (long)options.Limits.WorkspaceMb << 20,
            };
            var env = new Dictionary<string, string>(m.Env, StringComparer.Ordinal);
            var mounts = new List<ReadOnlyMount>();
            if (m.Environment is { } name && environment.Templates.TryGetValue(name, out var template))
            {
                mounts.Add(new ReadOnlyMount(template, EngineEnvironment.TemplateMountPath(name)));
                foreach (var (variable, value) in environment.VariablesFor(name, env))
                {
                    env[variable] = value;
                }
            }

            RequirementsStep.AddToEnvironment(m, env);
            var meter = new CpuMeter(quotas, job.Client);
            var spec = new SandboxSpec(Interpreters.Command(m.Interpreter, m.Entrypoint, m.Args), job.Workspace.Path, limits)
            {
                Environment = env,
                ReadOnlyMounts = mounts,
                CpuProgress = meter.Report,
            };
            SandboxResult result;
            try
            {
                result = await InstallRequirementsAsync(job, limits, stoppingToken).ConfigureAwait(false)
                    ?? await sandbox.RunAsync(spec, job.Log, stoppingToken).ConfigureAwait(false);
            }
            catch (SandboxUnavailableException e)
            {
                job.SetupError = e.Message;
                result = new SandboxResult(FailureReason.SetupError, null, null, TimeSpan.Zero, 0, TimeSpan.Zero) { Detail = e.Message };
                LogSandboxUnavailable(logger, job.Id, e.Message);
            }

            if (result.OutputTruncated)
            {
                var marker = Encoding.UTF8.GetBytes($"\n[sandrun: output truncated at {options.Limits.OutputBytesPerStream} bytes per stream; job killed]\n");
                job.Log.OnOutput(SandboxStream.Stderr, marker);
            }

            job.Log.Complete(result.OutputTruncated);
            if (result.FailureReason == FailureReason.SetupError && result.Detail is { } detail)
            {
                job.SetupError ??= detail;
            }

            (var outputs, result) = CollectOutputs(job, result);
            job.Result = result;
            job.Outputs = outputs.Files;
            job.Notes = [.. job.Notes, .. outputs.Notes];
            meter.Report(result.CpuTime);
            job.FinishedAt = time.GetUtcNow();
            job.ExpiresAt ??= job.FinishedAt + (result.Succeeded ? options.Retention.AfterCompletion : options.Retention.AfterFailure);
            var final = result.Succeeded ? JobStatus.Completed : JobStatus.Failed;
            if (signer is not null)
            {
                // Signed before the status turns final: a finished job always shows its receipt.
                job.Receipt = Receipts.Receipt.Create(signer, new Receipts.ReceiptFields(
                    job.Id, job.JobHash, FailureNames.For(final), result.ExitCode, FailureNames.For(result.Succeeded ? null : result.FailureReason),
                    FailureNames.CpuSeconds(result.CpuTime), result.MemoryPeakBytes, FailureNames.WallMilliseconds(result.WallTime),
                    job.Outputs.ToDictionary(o => o.Path, o => o.Sha256, StringComparer.Ordinal), job.FinishedAt.Value));
            }

            job.Status = final;
            job.MarkFinished();
            metrics.Finished(result, Stopwatch.GetElapsedTime(started));
            LogFinished(logger, job.Id, job.Status, result.FailureReason, result.ExitCode, result.CpuTime.TotalSeconds, result.MemoryPeakBytes, result.WallTime.TotalMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Engine-side failure (e.g. output collection): the job fails, the worker carries on.
            job.SetupError = "internal error while finishing the job";
            job.Result ??= new SandboxResult(FailureReason.SetupError, null, null, TimeSpan.Zero, 0, TimeSpan.Zero);
            job.Log.Complete(job.Log.Truncated);
            job.FinishedAt = time.GetUtcNow();
            job.ExpiresAt ??= job.FinishedAt + options.Retention.AfterFailure;
            job.Status = JobStatus.Failed;
            job.MarkFinished();
            LogEngineFailure(logger, job.Id, e.GetType().Name, e.StackTrace);
        }
        finally
        {
            quotas.JobEnded(job.Client);
            Interlocked.Decrement(ref running);
            if (!store.TryGet(job.Id, out _))
            {
                // Deleted while running.
                job.Workspace.Dispose();
            }
        }
    }

    /// <summary>
    /// Collects the job's outputs. Whatever the job left in its workspace must not cost it its receipt: should collection
    /// fail, the job ends failed (setup_error unless the program had already failed) with no outputs, and says why.
    /// </summary>
    private (OutputCollection Outputs, SandboxResult Result) CollectOutputs(Job job, SandboxResult result)
    {
        var globs = job.Manifest.Outputs.Select(OutputGlob.Parse).ToArray();
        try
        {
            var outputs = OutputCollector.Collect(job.Workspace.Path, job.Inputs, globs.Length == 0 ? null : p => globs.Any(g => g.IsMatch(p)),
                RequirementsStep.IsInstalled, outputLimits);
            return (outputs, result);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            job.SetupError ??= "the job's outputs could not be collected";
            LogCollectionFailed(logger, job.Id, e.GetType().Name);
            return (new OutputCollection([], []), result.Succeeded ? result with { FailureReason = FailureReason.SetupError } : result);
        }
    }

    /// <summary>Runs the install step when the manifest has requirements; returns its result only when it failed.</summary>
    private async Task<SandboxResult?> InstallRequirementsAsync(Job job, SandboxLimits limits, CancellationToken stoppingToken)
    {
        if (RequirementsStep.Spec(job.Manifest, options.Requirements, registries, job.Workspace.Path, limits) is not { } install)
        {
            return null;
        }

        job.Log.OnOutput(SandboxStream.Stderr, Encoding.UTF8.GetBytes($"[sandrun] installing {job.Manifest.Requirements}\n"));
        var meter = new CpuMeter(quotas, job.Client);
        var result = await sandbox.RunAsync(install with { CpuProgress = meter.Report }, job.Log, stoppingToken).ConfigureAwait(false);
        meter.Report(result.CpuTime);
        if (result.Succeeded)
        {
            return null;
        }

        job.Log.OnOutput(SandboxStream.Stderr, Encoding.UTF8.GetBytes($"[sandrun] installing {job.Manifest.Requirements} failed; the job did not run\n"));
        return result;
    }

    private async Task RetentionLoop(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(Math.Clamp(Math.Min(options.Retention.AfterFailure.TotalSeconds, options.Retention.AfterCompletion.TotalSeconds) / 4, 0.05, 5));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = time.GetUtcNow();
                foreach (var job in store.All.Where(j => j.ExpiresAt is { } at && at <= now && j.IsFinished).ToList())
                {
                    Delete(job.Id);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static string? ReadJobJson(string workspace, IntakeResult intake)
    {
        if (!intake.Files.ContainsKey("job.json"))
        {
            return null;
        }

        using var root = BeneathFile.OpenRoot(workspace);
        using var handle = BeneathFile.OpenRegularFile(root, "job.json")
            ?? throw new SubmitException(SubmitRefusal.InvalidManifest, "job.json: not a regular file");
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        if (stream.Length > 1 << 20)
        {
            throw new SubmitException(SubmitRefusal.InvalidManifest, "job.json: larger than 1 MiB");
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} submitted: {Files} files, {Bytes} bytes")]
    private static partial void LogSubmitted(ILogger logger, string jobId, int files, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} {Status} ({Reason}, exit {ExitCode}): {CpuSeconds:0.###} CPU-s, {MemoryPeak} bytes peak, {WallMs:0} ms wall")]
    private static partial void LogFinished(ILogger logger, string jobId, JobStatus status, FailureReason reason, int? exitCode, double cpuSeconds, long memoryPeak, double wallMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Requirements:AllowNetwork is on: dependency install steps without a configured mirror may reach {Endpoints} through their egress proxy, nothing else (jobs themselves have no network)")]
    private static partial void LogNetworkedInstalls(ILogger logger, string endpoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} deleted")]
    private static partial void LogDeleted(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: sandbox unavailable: {Reason}")]
    private static partial void LogSandboxUnavailable(ILogger logger, string jobId, string reason);

    // Exception messages are not logged: they may name files the job created (SPEC.md §5, no job content in logs).
    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: engine failure while finishing: {ExceptionType} at {StackTrace}")]
    private static partial void LogEngineFailure(ILogger logger, string jobId, string exceptionType, string? stackTrace);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: its outputs could not be collected: {ExceptionType}")]
    private static partial void LogCollectionFailed(ILogger logger, string jobId, string exceptionType);
}
