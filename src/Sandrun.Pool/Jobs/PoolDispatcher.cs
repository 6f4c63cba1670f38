using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Sandrun.Pool.Jobs;

/// <summary>Places queued jobs, oldest first, whenever a worker may have room (woken by submissions, ended jobs and probes).</summary>
internal sealed partial class PoolDispatcher(PoolCoordinator coordinator, ILogger<PoolDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await coordinator.WaitForWorkAsync(TimeSpan.FromMilliseconds(250), stoppingToken).ConfigureAwait(false);
                await coordinator.DrainQueueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or HttpRequestException)
            {
                LogFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "placing queued jobs failed; retrying")]
    private partial void LogFailed(Exception error);
}
