using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Sandrun.Jobs;
using Sandrun.Queue;
using Sandrun.Quotas;

namespace Sandrun;

/// <summary>Registers the Sandrun engine.</summary>
public static class SandrunServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine (queue, workers, quotas, retention). Bind options with
    /// <c>services.Configure&lt;SandrunOptions&gt;(configuration.GetSection("Sandrun"))</c> and add a sandbox
    /// (e.g. <c>AddLinuxSandbox()</c>, which also supplies the workspaces).
    /// </summary>
    public static IServiceCollection AddSandrun(this IServiceCollection services, Action<SandrunOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SandrunOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SandrunMetrics>();
        services.TryAddSingleton<InMemoryJobQueue>();
        services.TryAddSingleton<ClientQuotas>();
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<EngineEnvironment>();
        services.TryAddSingleton<JobEngine>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<JobEngine>());
        return services;
    }
}
