using Microsoft.Extensions.Configuration;
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
    /// Adds the engine with options bound from the <c>Sandrun</c> section of <paramref name="configuration"/>
    /// (SPEC.md §0; <c>Sandrun__X</c> environment variables included), then <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddSandrun(this IServiceCollection services, IConfiguration configuration, Action<SandrunOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SandrunOptions>().Bind(configuration.GetSection("Sandrun"));
        return services.AddSandrun(configure);
    }

    /// <summary>
    /// Adds the engine (queue, workers, quotas, retention) and add a sandbox next to it (e.g.
    /// <c>UseLinuxSandbox()</c>, which also supplies the workspaces).
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
