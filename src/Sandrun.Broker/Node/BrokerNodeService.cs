using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Broker.Contracts;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.Broker.Node;

/// <summary>
/// A pulling node: <see cref="BrokerNodeOptions.Slots"/> loops each claim a job from the broker, run it through this
/// host's engine (its limits, sandbox and signing key) under the broker's job id, renew the lease while it runs, and
/// report the result with the signed receipt and the outputs. A lease the broker says is lost stops the run at once;
/// when the broker cannot be reached the node keeps trying, and a result it cannot deliver is left to the lease.
/// </summary>
internal sealed partial class BrokerNodeService(
    BrokerClient client, JobEngine engine, IResultSigner signer, IOptions<BrokerNodeOptions> options, TimeProvider time, ILogger<BrokerNodeService> logger) : BackgroundService
{
    /// <summary>The client key the node's engine counts broker jobs under (quotas are the broker's concern).</summary>
    public const string QuotaClient = "broker";

    private readonly BrokerNodeOptions options = options.Value;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Slots).Select(_ => Task.Run(() => SlotAsync(stoppingToken), CancellationToken.None)));

    private async Task SlotAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await client.ClaimAsync(stoppingToken).ConfigureAwait(false) is { } job)
                {
                    await RunAsync(job, stoppingToken).ConfigureAwait(false);
                }

                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or System.Text.Json.JsonException)
            {
                failures++;
                LogBrokerUnreachable(logger, e.GetType().Name, e.Message);
                await DelayAsync(failures, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever went wrong with one job, the slot goes on pulling: that job's lease expires and it runs elsewhere.
                failures++;
                LogSlotFailed(logger, e.GetType().Name);
                await DelayAsync(failures, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(ClaimedJob claimed, CancellationToken stoppingToken)
    {
        LogClaimed(logger, claimed.JobId, claimed.Attempt);
        var input = await client.InputAsync(claimed, stoppingToken).ConfigureAwait(false);
        if (input is null)
        {
            return;
        }

        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var heartbeats = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = Task.Run(() => HeartbeatAsync(claimed, lost, heartbeats.Token), CancellationToken.None);
        try
        {
            // A run of an earlier lease on this job (the broker re-queued it) must not stand in the way.
            engine.Delete(claimed.JobId);
            CompletionReport report;
            byte[]? outputs = null;
            Job? job = null;
            try
            {
                await engine.SubmitAsync(claimed.JobId, new SubmitRequest(QuotaClient, [new UploadPart("input.tar.gz", new MemoryStream(input))], claimed.Manifest), stoppingToken)
                    .ConfigureAwait(false);
                if (!engine.TryGet(claimed.JobId, out job))
                {
                    return;
                }

                await job.Completion.WaitAsync(lost.Token).ConfigureAwait(false);
                if (job.Result is null)
                {
                    // Deleted or the node is stopping: no result to report; the lease expires and another node runs it.
                    return;
                }

                report = CompletionBuilder.FromJob(job, claimed.LeaseToken);
                outputs = await CompletionBuilder.OutputsAsync(job, stoppingToken).ConfigureAwait(false);
            }
            catch (SubmitException e)
            {
                report = CompletionBuilder.Refused(claimed, e.Details, signer, time.GetUtcNow());
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                LogLeaseLost(logger, claimed.JobId);
                return;
            }

            await DeliverAsync(report, outputs, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            await heartbeats.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            engine.Delete(claimed.JobId);
        }
    }

    /// <summary>Renews the lease every third of it; when the broker says it is lost, cancels <paramref name="lost"/>.</summary>
    private async Task HeartbeatAsync(ClaimedJob claimed, CancellationTokenSource lost, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(1, claimed.LeaseSeconds) / 3.0);
        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                if (!await client.HeartbeatAsync(claimed, cancellationToken).ConfigureAwait(false))
                {
                    // Another node may hold the job now: stop this run at once.
                    engine.Delete(claimed.JobId);
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                // The broker is away for a moment; the lease runs on until the next beat reaches it.
                LogBrokerUnreachable(logger, e.GetType().Name, e.Message);
            }
        }
    }

    private async Task DeliverAsync(CompletionReport report, byte[]? outputs, CancellationToken stoppingToken)
    {
        for (var attempt = 1; attempt <= options.CompletionAttempts; attempt++)
        {
            try
            {
                var status = await client.CompleteAsync(report, outputs, stoppingToken).ConfigureAwait(false);
                LogCompleted(logger, report.JobId, report.Status, (int)status);
                if (status == HttpStatusCode.Conflict)
                {
                    LogLeaseLost(logger, report.JobId);
                }

                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogBrokerUnreachable(logger, e.GetType().Name, e.Message);
                await DelayAsync(attempt, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private Task DelayAsync(int failures, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(Math.Min(options.MaxReconnectDelay.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 16))));
        return Task.Delay(delay, time, cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} claimed (attempt {Attempt})")]
    private static partial void LogClaimed(ILogger logger, string jobId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} reported {Status}: the broker answered {HttpStatus}")]
    private static partial void LogCompleted(ILogger logger, string jobId, string status, int httpStatus);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the lease was lost (it expired and the job was queued again); this run is dropped")]
    private static partial void LogLeaseLost(ILogger logger, string jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A node slot failed running a job ({ExceptionType}); it goes on pulling")]
    private static partial void LogSlotFailed(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The broker could not be reached ({ExceptionType}: {Message}); trying again")]
    private static partial void LogBrokerUnreachable(ILogger logger, string exceptionType, string message);
}
