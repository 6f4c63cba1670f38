using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Intake;
using Sandrun.Manifest;
using Sandrun.Outputs;
using Sandrun.Quotas;

namespace Sandrun.Jobs;

/// <summary>
/// The submit path: quota → workspace → safe intake → manifest → job hash → store → queue. A refused submission
/// leaves nothing behind (its workspace is deleted, its quota given back); an admitted one ends only through the
/// finisher. Logs carry ids, sizes and timings only, never content.
/// </summary>
internal sealed partial class JobAdmission(
    IOptions<SandrunOptions> options, IWorkspaceProvider workspaces, IJobQueue queue, JobStore store, ClientQuotas quotas, JobRetention retention,
    EngineEnvironment environment, SandrunMetrics metrics, TimeProvider time, ILogger<JobAdmission> logger)
{
    private readonly SandrunOptions options = options.Value;

    /// <summary>Admits a job or throws <see cref="SubmitException"/> saying why it was refused.</summary>
    public Task<(string JobId, int Position)> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken) =>
        SubmitAsync(JobStore.NewId(), request, cancellationToken);

    /// <summary>
    /// Admits a job under <paramref name="jobId"/>, an id its trusted caller issued (a broker's), so its receipt names
    /// that id. The id must look like the engine's own (<see cref="JobStore.IsWellFormedId"/>) and no live job may have it.
    /// </summary>
    public async Task<(string JobId, int Position)> SubmitAsync(string jobId, SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!JobStore.IsWellFormedId(jobId))
        {
            throw new ArgumentException("a job id is 'job-' followed by 26 to 60 lowercase letters and digits", nameof(jobId));
        }

        if (store.TryGet(jobId, out _))
        {
            throw new InvalidOperationException($"job {jobId} is live already; delete it before submitting it again");
        }

        var decision = quotas.TryAdmit(request.Client);
        if (!decision.Allowed)
        {
            metrics.Rejected("quota");
            throw new SubmitException(SubmitRefusal.QuotaExceeded, decision.Reason!, decision.RetryAfter);
        }

        Job job;
        long bytes;
        try
        {
            (job, bytes) = await CreateAsync(jobId, request, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Not a job yet: the finisher knows nothing of it, so the quota taken above goes back here.
            quotas.JobEnded(request.Client);
            throw;
        }

        // The job exists: from here it is admitted or refused, never half-cancelled, and it ends through the finisher.
        if (!retention.Keep(job))
        {
            // The same id submitted twice at once: the first keeps it.
            quotas.JobEnded(request.Client);
            job.Log.Dispose();
            job.Workspace.Dispose();
            throw new InvalidOperationException($"job {jobId} is live already; delete it before submitting it again");
        }

        var position = await queue.TryEnqueueAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
        if (position == 0)
        {
            retention.Delete(job.Id);
            metrics.Rejected("queue_full");
            throw new SubmitException(SubmitRefusal.QueueFull, $"{queue.Count} jobs are waiting; try again later", TimeSpan.FromSeconds(10));
        }

        metrics.Submitted();
        LogSubmitted(logger, job.Id, job.Inputs.Count, bytes);
        return (job.Id, position);
    }

    /// <summary>Builds the job <paramref name="id"/> from the upload in a fresh workspace, deleted again when the submission is refused.</summary>
    private async Task<(Job Job, long Bytes)> CreateAsync(string id, SubmitRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var workspace = workspaces.Create(id, (long)options.Limits.WorkspaceMb << 20);
        metrics.Phase("workspace", Stopwatch.GetElapsedTime(started));
        started = Stopwatch.GetTimestamp();
        try
        {
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

            var manifest = Parse(request.ManifestJson ?? ReadJobJson(workspace.Path, intake), intake);
            var job = new Job(id, request.Client, manifest, workspace, intake.Files, Receipts.JobHash.Compute(manifest, intake.Files), time.GetUtcNow())
            {
                Notes = manifest.Gpu is null ? [] : [GpuRequest.NotGivenNote],
            };
            metrics.Phase("intake", Stopwatch.GetElapsedTime(started));
            return (job, intake.TotalBytes);
        }
        catch
        {
            workspace.Dispose();
            throw;
        }
    }

    private JobManifest Parse(string? json, IntakeResult intake)
    {
        JobManifest manifest;
        try
        {
            manifest = ManifestParser.Parse(json, new ManifestContext([.. intake.Files.Keys], options.Limits, [.. environment.Templates.Keys], environment.Interpreters));
        }
        catch (ManifestException e)
        {
            throw new SubmitException(SubmitRefusal.InvalidManifest, $"{e.Field}: {e.Details}");
        }

        return RequirementsStep.Refusal(manifest, options.Requirements) is { } refusal
            ? throw new SubmitException(SubmitRefusal.InvalidManifest, refusal)
            : manifest;
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
}
