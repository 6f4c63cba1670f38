using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Jobs;
using Sandrun.Queue;
using Sandrun.Quotas;
using Sandrun.Runtimes;

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
    /// Adds the engine (queue, workers, quotas, retention); add a sandbox next to it (e.g. <c>UseLinuxSandbox()</c>,
    /// which also supplies the workspaces). Options are validated when the host starts (a bad value stops the start
    /// with a message naming its configuration key), and the sandbox is set up then too: a host where jobs cannot run
    /// does not start. <see cref="SandrunOptions.Workers"/> 0 means one worker per CPU.
    /// </summary>
    public static IServiceCollection AddSandrun(this IServiceCollection services, Action<SandrunOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SandrunOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure(o => o.Workers = o.Workers == 0 ? Environment.ProcessorCount : o.Workers).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SandrunOptions>, SandrunOptionsValidator>());

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SandrunMetrics>();
        services.TryAddSingleton<IJobQueue, InMemoryJobQueue>();
        services.TryAddSingleton<ClientQuotas>();
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton(WithSandbox<EngineEnvironment>);
        services.TryAddSingleton<JobFinisher>();
        services.TryAddSingleton<JobRetention>();
        services.TryAddSingleton(WithSandbox<JobAdmission>);
        services.TryAddSingleton(WithSandbox<JobRunner>);
        services.TryAddSingleton(s => new JobEngine(
            s.GetRequiredService<JobAdmission>(), s.GetRequiredService<JobRunner>(), s.GetRequiredService<JobRetention>(), s.GetRequiredService<JobStore>(), s.GetRequiredService<IJobQueue>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EngineHost>());
        services.TryAddSingleton<RuntimeVersions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RuntimeVersions>(s => s.GetRequiredService<RuntimeVersions>()));
        return services;
    }

    /// <summary>
    /// Creates a service that needs the sandbox, or says which registration is missing. A factory, not a type: the
    /// container's build-time validation (on in Development) would otherwise fail first with "unable to resolve ISandbox".
    /// </summary>
    private static T WithSandbox<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>(IServiceProvider services)
        where T : class =>
        services.GetService<ISandbox>() is null ? throw new InvalidOperationException(EngineHost.NoSandbox) : ActivatorUtilities.CreateInstance<T>(services);
}
