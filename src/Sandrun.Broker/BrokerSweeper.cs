using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Broker.Storage;

namespace Sandrun.Broker;

/// <summary>
/// Creates the store's schema at start, then sweeps every <see cref="BrokerOptions.SweepInterval"/>: expired leases
/// back to the queue (or failed <c>node_lost</c>), retention. Every broker instance runs it; sweeps are idempotent.
/// </summary>
internal sealed partial class BrokerSweeper(
    IBrokerStore store, BrokerWakeup wakeup, BrokerMetrics metrics, IOptions<BrokerOptions> options, TimeProvider time, ILogger<BrokerSweeper> logger) : BackgroundService
{
    private readonly BrokerOptions options = options.Value;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = new RetryPolicy(options.RetryBackoff, options.MaxRetryBackoff);
        using var timer = new PeriodicTimer(options.SweepInterval, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
                var report = await store.SweepAsync(retry, options.ResultTtl, stoppingToken).ConfigureAwait(false);
                metrics.Expired(report.Requeued, report.Failed);
                if (report.Requeued + report.Failed + report.Purged > 0)
                {
                    LogSwept(logger, report.Requeued, report.Failed, report.Purged);
                }

                if (report.Requeued > 0)
                {
                    wakeup.Pulse();
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or IOException or TimeoutException)
            {
                // The database is away for a moment: the next tick sweeps again.
                LogSweepFailed(logger, e.GetType().Name, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker sweep: {Requeued} leases expired and requeued, {Failed} failed node_lost, {Purged} jobs deleted after retention")]
    private static partial void LogSwept(ILogger logger, int requeued, int failed, int purged);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker sweep failed ({ExceptionType}: {Message}); retrying at the next tick")]
    private static partial void LogSweepFailed(ILogger logger, string exceptionType, string message);
}
