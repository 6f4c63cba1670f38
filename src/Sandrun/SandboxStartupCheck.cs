using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sandrun.Abstractions;

namespace Sandrun;

/// <summary>
/// Sets the sandbox up while the host starts, so the first job does not pay for it, and stops the start with what
/// the host lacks (not root, no cgroups, …) rather than letting every job fail later.
/// </summary>
internal sealed partial class SandboxStartupCheck(IServiceProvider services, ILogger<SandboxStartupCheck> logger) : IHostedService
{
    /// <summary>What to do when <c>AddSandrun()</c> has no sandbox next to it (shared with <c>MapSandrun()</c>'s check).</summary>
    public const string NoSandbox =
        "Sandrun has no sandbox to run jobs in: register one next to AddSandrun(), e.g. services.AddSandrun(configuration).UseLinuxSandbox(configuration) (package Sandrun.Linux).";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var sandbox = services.GetService(typeof(ISandbox)) as ISandbox ?? throw new InvalidOperationException(NoSandbox);
        try
        {
            sandbox.EnsureReady();
        }
        catch (SandboxUnavailableException e)
        {
            LogUnusable(logger, e.Message);
            throw new InvalidOperationException(
                $"Sandrun's sandbox cannot run jobs on this host: {e.Message}. Fix that and start again; Sandrun does not start rather than fail every job.", e);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Critical, Message = "Sandbox unusable: {Reason}")]
    private static partial void LogUnusable(ILogger logger, string reason);
}
