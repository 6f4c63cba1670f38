using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Execution;

/// <summary>Submits a one-call job through the engine (same quotas and sandbox as <c>POST /submit</c>) and waits for it, bounded.</summary>
internal static class OneCallRunner
{
    /// <summary>Time on top of a job's own timeout that a default wait allows for queueing, setup and collecting outputs.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Admits the job (throws <see cref="SubmitException"/> when refused) and waits until it finishes or
    /// <paramref name="wait"/> (default: the job's timeout plus <see cref="Grace"/>) has passed; the job goes on either way.
    /// The job is null when retention deleted it before it could be looked up (a retention time of zero).
    /// </summary>
    public static async Task<(string Id, Job? Job, bool Finished)> RunAsync(JobEngine engine, string client, UploadPart part, string manifest, TimeSpan? wait, CancellationToken cancellationToken)
    {
        string id;
        await using (part.Content.ConfigureAwait(false))
        {
            (id, _) = await engine.SubmitAsync(new SubmitRequest(client, [part], manifest), cancellationToken).ConfigureAwait(false);
        }

        if (!engine.TryGet(id, out var job))
        {
            return (id, null, true);
        }

        var limit = wait ?? TimeSpan.FromSeconds(job.Manifest.TimeoutSeconds) + Grace;
        try
        {
            await job.Completion.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
            return (id, job, true);
        }
        catch (TimeoutException)
        {
            return (id, job, job.IsFinished);
        }
    }
}
