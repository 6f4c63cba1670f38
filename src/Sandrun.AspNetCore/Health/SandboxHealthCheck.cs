using Microsoft.Extensions.Diagnostics.HealthChecks;
using Sandrun.Abstractions;

namespace Sandrun.AspNetCore.Health;

/// <summary>
/// Healthy while the sandbox can run jobs; otherwise unhealthy with what the host lacks. Registered with the app's
/// health checks (tag <see cref="Tag"/>), so an app's own health endpoint reports it too; <c>GET /health</c> runs it.
/// </summary>
internal sealed class SandboxHealthCheck(ISandbox sandbox) : IHealthCheck
{
    /// <summary>The registration's name.</summary>
    public const string Name = "sandrun-sandbox";

    /// <summary>The tag <c>GET /health</c> selects its checks by.</summary>
    public const string Tag = "sandrun";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            sandbox.EnsureReady();
            return Task.FromResult(HealthCheckResult.Healthy("the sandbox can run jobs"));
        }
        catch (SandboxUnavailableException e)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, "sandbox unavailable: " + e.Message, e));
        }
    }
}
