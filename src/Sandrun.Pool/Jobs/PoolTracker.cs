using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Pool.Workers;

namespace Sandrun.Pool.Jobs;

/// <summary>
/// Follows placed jobs on their workers: a final status is checked and ends the job (freeing its slot without waiting
/// for a client to ask); a worker that cannot be reached or no longer knows a job makes it <c>worker_lost</c>.
/// Also forgets ended jobs after <see cref="PoolOptions.Retention"/>.
/// </summary>
internal sealed partial class PoolTracker(
    PoolCoordinator coordinator, WorkerClient client, IOptions<PoolOptions> options, TimeProvider time, ILogger<PoolTracker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StatusPollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await Parallel.ForEachAsync(
                    coordinator.Store.InFlight(),
                    new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = stoppingToken },
                    (job, ct) => new ValueTask(FollowAsync(job, ct))).ConfigureAwait(false);
                coordinator.Store.ForgetEndedBefore(time.GetUtcNow() - options.Value.Retention);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task FollowAsync(PoolJob job, CancellationToken cancellationToken)
    {
        if (job.Worker is not { } worker || job.WorkerJobId is not { } workerJobId || !worker.Healthy)
        {
            return;
        }

        WorkerAnswer answer;
        try
        {
            answer = await client.GetAsync(worker, $"status/{Uri.EscapeDataString(workerJobId)}", job.Client, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            coordinator.Unreachable(worker, e);
            return;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (answer.StatusCode == 404)
        {
            coordinator.Lose(job, $"the worker at {worker.Endpoint} no longer knows job {workerJobId} (it restarted or deleted it)");
            return;
        }

        try
        {
            if (answer.StatusCode == 200 && JsonNode.Parse(answer.Body) is JsonObject status)
            {
                coordinator.Observe(job, status);
            }
        }
        catch (JsonException e)
        {
            LogBadAnswer(worker.Endpoint, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "worker {Endpoint} answered a status request with invalid JSON: {Reason}")]
    private partial void LogBadAnswer(Uri endpoint, string reason);
}
