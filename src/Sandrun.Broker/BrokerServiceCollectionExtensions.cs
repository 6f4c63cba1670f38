using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Broker.Intake;
using Sandrun.Broker.Storage;

namespace Sandrun.Broker;

/// <summary>Registers the broker (SPEC.md §8).</summary>
public static class BrokerServiceCollectionExtensions
{
    /// <summary>
    /// Adds the broker: options from <c>Sandrun:Broker</c> (validated at start), the store — PostgreSQL when
    /// <see cref="BrokerOptions.Postgres"/> is set, else the SQLite file <see cref="BrokerOptions.Database"/> — its
    /// schema created at start, and the expiry sweep. Submissions are checked against the <c>Sandrun</c> section's
    /// limits and templates, as <c>POST /submit</c> checks them. Map the API with <c>MapSandrunBroker()</c>.
    /// </summary>
    public static IServiceCollection AddSandrunBroker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BrokerOptions>().Bind(configuration.GetSection("Sandrun:Broker")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerOptions>, BrokerOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BrokerWakeup>();
        services.TryAddSingleton<BrokerMetrics>();

        // Its own copy of the Sandrun section: an engine hosted alongside keeps its options untouched.
        services.TryAddSingleton(_ => new SubmissionValidator(Options.Create(configuration.GetSection("Sandrun").Get<SandrunOptions>() ?? new SandrunOptions())));
        services.TryAddSingleton<IBrokerStore>(CreateStore);
        services.AddHostedService<BrokerSweeper>();
        return services;
    }

    private static IBrokerStore CreateStore(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<BrokerOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var wakeup = services.GetRequiredService<BrokerWakeup>();
        return string.IsNullOrWhiteSpace(options.Postgres)
            ? new SqliteBrokerStore(options.Database, time, wakeup)
            : new PostgresBrokerStore(options.Postgres, time, wakeup, services.GetRequiredService<ILogger<PostgresBrokerStore>>());
    }
}
