using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Broker.Node;

namespace Sandrun.Broker;

/// <summary>Registers a pulling broker node.</summary>
public static class BrokerNodeServiceCollectionExtensions
{
    /// <summary>
    /// Makes this host a node of the broker at <c>Sandrun:BrokerNode:Broker</c>: it registers with the host's
    /// <see cref="IResultSigner"/> key (required: receipts are how the broker trusts results), then pulls jobs and
    /// runs them through the engine (<c>AddSandrun()</c> with a sandbox), <c>Sandrun:BrokerNode:Slots</c> at a time.
    /// It needs no listening port.
    /// </summary>
    public static IServiceCollection AddSandrunBrokerNode(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BrokerNodeOptions>().Bind(configuration.GetSection("Sandrun:BrokerNode")).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrokerNodeOptions>, BrokerNodeOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient<BrokerClient>((s, http) =>
        {
            var broker = s.GetRequiredService<IOptions<BrokerNodeOptions>>().Value.Broker!;
            http.BaseAddress = broker.AbsoluteUri.EndsWith('/') ? broker : new Uri(broker.AbsoluteUri + "/");

            // Claims are long polls and completions may carry large outputs: each call bounds itself instead.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
        services.AddTransient(s => s.GetRequiredService<IOptions<BrokerNodeOptions>>().Value);
        services.AddHostedService<BrokerNodeService>();
        return services;
    }
}
