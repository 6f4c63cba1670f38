using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;
using Sandrun.Jobs;

namespace Sandrun;

/// <summary>
/// Starts the engine with the host: first sets the sandbox up, so the first job does not pay for it and a host that
/// cannot run jobs (not root, no cgroups, …) stops the start with what it lacks instead of failing every job; then
/// the engine's workers. Both are created here, at start, not when the host collects its services: by then the host
/// has validated every option, so a bad configuration is reported in full.
/// </summary>
internal sealed partial class EngineHost : IHostedService
{
    /// <summary>What to do when <c>AddSandrun()</c> has no sandbox next to it.</summary>
    public const string NoSandbox =
        "Sandrun has no sandbox to run jobs in: register one next to AddSandrun(), e.g. services.AddSandrun(configuration).UseLinuxSandbox(configuration) (package Sandrun.Linux).";

    private readonly IServiceProvider services;

    private readonly ILogger<EngineHost> logger;

    private JobRunner? runner;

    public EngineHost(IServiceProvider services, ILogger<EngineHost> logger)
    {
        if (!services.GetRequiredService<IServiceProviderIsService>().IsService(typeof(ISandbox)))
        {
            throw new InvalidOperationException(NoSandbox);
        }

        this.services = services;
        this.logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            services.GetRequiredService<ISandbox>().EnsureReady();
        }
        catch (SandboxUnavailableException e)
        {
            LogUnusable(logger, e.Message);
            throw new InvalidOperationException(
                $"Sandrun's sandbox cannot run jobs on this host: {e.Message}. Fix that and start again; Sandrun does not start rather than fail every job.", e);
        }

        runner = services.GetRequiredService<JobRunner>();
        return runner.StartAsync(cancellationToken);
    }

    /// <summary>Stops the workers (running jobs are killed), then deletes every job: nothing outlives the server.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (runner is null)
        {
            return;
        }

        await runner.StopAsync(cancellationToken).ConfigureAwait(false);
        services.GetRequiredService<JobRetention>().DeleteAll();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Sandbox unusable: {Reason}")]
    private static partial void LogUnusable(ILogger logger, string reason);
}
