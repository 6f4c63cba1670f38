using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Pool.Workers;

namespace Sandrun.Pool.Jobs;

/// <summary>
/// Follows each placed job on its worker from the moment the worker accepts it: one <c>/status</c> at once (the running
/// status the pool then serves itself), then <c>/status?wait</c> requests the worker holds until the job ends. A final
/// status is checked and ends the job (freeing its slot without waiting for a client to ask); a worker that cannot be
/// reached (a killed worker resets the held request at once) or no longer knows a job makes it <c>worker_lost</c>.
/// Also forgets ended jobs after <see cref="PoolOptions.Retention"/>.
/// </summary>
internal sealed partial class PoolTracker(
    PoolCoordinator coordinator, WorkerClient client, IOptions<PoolOptions> options, TimeProvider time, ILogger<PoolTracker> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<PoolJob, Task> followers = new();

    /// <summary>How long a worker holds a follow-up request: well inside the pool's timeout for a worker request.</summary>
    private TimeSpan HeldWait => TimeSpan.FromSeconds(Math.Clamp(Math.Floor(options.Value.WorkerRequestTimeout.TotalSeconds / 2), 1, 60));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var forgetting = ForgetEndedAsync(stoppingToken);
        try
        {
            await foreach (var job in coordinator.Dispatched.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                var follower = FollowAsync(job, stoppingToken);
                followers.TryAdd(job, follower);
                _ = follower.ContinueWith(_ => followers.TryRemove(job, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await forgetting.ConfigureAwait(false);
        await Task.WhenAll(followers.Values).ConfigureAwait(false);
    }

    private async Task ForgetEndedAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StatusPollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                coordinator.Store.ForgetEndedBefore(time.GetUtcNow() - options.Value.Retention);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task FollowAsync(PoolJob job, CancellationToken stoppingToken)
    {
        try
        {
            var held = false;
            while (job.State == PoolJobState.Dispatched && !stoppingToken.IsCancellationRequested)
            {
                var asked = time.GetTimestamp();
                string? state;
                try
                {
                    state = await AskAsync(job, held, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Never stop following because of one odd answer: the job would stay "running" here for good.
                    LogFollowFailed(job.Id, e.Message);
                    state = string.Empty;
                }

                if (state is null)
                {
                    return;
                }

                // No answer, or a held request that came back unfinished before its wait was over (a worker that does
                // not hold): asked again after the status interval, not at once.
                if (state.Length == 0 || (held && state is not ("completed" or "failed") && time.GetElapsedTime(asked) < HeldWait * 0.9))
                {
                    await Task.Delay(options.Value.StatusPollInterval, time, stoppingToken).ConfigureAwait(false);
                }

                held = true;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Asks the worker for the job's status (held until it ends when <paramref name="held"/>); the worker's state, "" when it could not say, null when the job ended here.</summary>
    private async Task<string?> AskAsync(PoolJob job, bool held, CancellationToken cancellationToken)
    {
        if (job.Worker is not { } worker || job.WorkerJobId is not { } workerJobId)
        {
            return null;
        }

        if (!worker.Healthy)
        {
            return string.Empty;
        }

        var relative = $"status/{Uri.EscapeDataString(workerJobId)}"
            + (held ? "?wait=" + HeldWait.TotalSeconds.ToString(CultureInfo.InvariantCulture) : string.Empty);
        WorkerAnswer answer;
        try
        {
            answer = await client.GetAsync(worker, relative, job.Client, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            coordinator.Unreachable(worker, e);
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return string.Empty;
        }

        if (answer.StatusCode == 404)
        {
            coordinator.Lose(job, $"the worker at {worker.Endpoint} no longer knows job {workerJobId} (it restarted or deleted it)");
            return null;
        }

        try
        {
            if (answer.StatusCode == 200 && JsonNode.Parse(answer.Body) is JsonObject status)
            {
                coordinator.Observe(job, status);
                return status["status"] is JsonValue s && s.TryGetValue<string>(out var text) ? text : string.Empty;
            }
        }
        catch (JsonException e)
        {
            LogBadAnswer(worker.Endpoint, e.Message);
        }

        return string.Empty;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "following job {JobId} on its worker failed ({Reason}); asking again")]
    private partial void LogFollowFailed(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "worker {Endpoint} answered a status request with invalid JSON: {Reason}")]
    private partial void LogBadAnswer(Uri endpoint, string reason);
}
