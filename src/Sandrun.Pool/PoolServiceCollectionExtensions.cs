using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Sandrun.AspNetCore;
using Sandrun.Pool.Jobs;
using Sandrun.Pool.Proxy;
using Sandrun.Pool.Workers;
using Sandrun.Quotas;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Transforms;

namespace Sandrun.Pool;

/// <summary>Registers the pool coordinator (SPEC.md §7) for <c>MapSandrunPool()</c>.</summary>
public static class PoolServiceCollectionExtensions
{
    /// <summary>
    /// Adds the pool: <see cref="PoolOptions"/> from <c>Sandrun:Pool</c> (workers from <c>WorkersFile</c> and
    /// <c>Workers</c>, checked at start), the per-client quotas of <c>Sandrun:RateLimits</c> (the pool enforces them, and
    /// <c>TrustedProxies</c> says which proxies in front of the pool may name the client), the in-memory job store
    /// (register another <see cref="IPoolJobStore"/> first to replace it), and YARP with the pool's identity probes,
    /// verified-only destinations and per-job routing.
    /// </summary>
    public static IServiceCollection AddSandrunPool(this IServiceCollection services, IConfiguration configuration, Action<PoolOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var pool = services.AddOptions<PoolOptions>().Bind(configuration.GetSection("Sandrun:Pool"));
        if (configure is not null)
        {
            pool.Configure(configure);
        }

        pool.Validate(o => o.QueueCapacity >= 0 && o.MaxUploadBytes > 0 && o.HealthCheckInterval > TimeSpan.Zero && o.HealthCheckTimeout > TimeSpan.Zero
            && o.StatusPollInterval > TimeSpan.Zero && o.WorkerRequestTimeout > TimeSpan.Zero && o.StreamActivityTimeout > TimeSpan.Zero,
            "Sandrun:Pool: QueueCapacity must be ≥ 0, MaxUploadBytes and every interval and timeout > 0").ValidateOnStart();
        services.AddOptions<SandrunOptions>().Bind(configuration.GetSection("Sandrun"));
        services.AddOptions<ClientAddressOptions>().Bind(configuration.GetSection("Sandrun:RateLimits"));
        services.TryAddSingleton<SandrunClientAddress>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ClientQuotas>();
        services.TryAddSingleton<IPoolJobStore, InMemoryPoolJobStore>();
        services.TryAddSingleton<PoolWorkers>();
        services.TryAddSingleton<PoolRoutes>();
        services.TryAddSingleton<WorkerClient>();
        services.TryAddSingleton<UploadSpool>();
        services.TryAddSingleton<PoolMetrics>();
        services.TryAddSingleton<PoolCoordinator>();
        services.AddMetrics();
        services.AddHostedService<PoolDispatcher>();
        services.AddHostedService<PoolTracker>();
        services.AddCors(cors => cors.AddPolicy(PoolRoutes.CorsPolicy, policy => policy.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod().SetPreflightMaxAge(TimeSpan.FromDays(1))));

        services.AddReverseProxy().AddTransforms(context =>
        {
            // The client's address, as quotas count it, replaces whatever the client claimed: workers trust the pool.
            context.UseDefaultForwarders = false;
            context.AddRequestTransform(transform =>
            {
                var clients = transform.HttpContext.RequestServices.GetRequiredService<SandrunClientAddress>();
                transform.ProxyRequest.Headers.Remove("X-Forwarded-For");
                transform.ProxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", clients.Resolve(transform.HttpContext));
                return ValueTask.CompletedTask;
            });
        });
        services.AddSingleton<IProxyConfigProvider, PoolProxyConfigProvider>();
        services.AddSingleton<IProbingRequestFactory, ChallengeProbingRequestFactory>();
        services.AddSingleton<IActiveHealthCheckPolicy, IdentityHealthPolicy>();
        services.AddSingleton<IAvailableDestinationsPolicy, VerifiedOnlyDestinationsPolicy>();
        return services;
    }
}
