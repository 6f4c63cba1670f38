using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Sandrun.Pool.Workers;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Sandrun.Pool.Proxy;

/// <summary>
/// YARP's configuration for the pool: one cluster of the listed workers (identity-checked active probes, verified-only
/// destinations, an activity timeout longer than any job) and the per-job streaming routes, whose path the job
/// routing step rewrites to the worker's job id.
/// </summary>
internal sealed class PoolProxyConfigProvider(PoolWorkers workers, PoolRoutes routes, IOptions<PoolOptions> options) : IProxyConfigProvider
{
    private PoolProxyConfig? config;

    public IProxyConfig GetConfig() => config ??= Build();

    private PoolProxyConfig Build()
    {
        var o = options.Value;
        var prefix = routes.Prefix;
        var cluster = new ClusterConfig
        {
            ClusterId = PoolRoutes.ClusterId,
            LoadBalancingPolicy = Yarp.ReverseProxy.LoadBalancing.LoadBalancingPolicies.FirstAlphabetical,
            Destinations = workers.All.ToDictionary(w => w.DestinationId, w => new DestinationConfig { Address = w.Endpoint.ToString() }, StringComparer.Ordinal),
            HealthCheck = new HealthCheckConfig
            {
                AvailableDestinationsPolicy = VerifiedOnlyDestinationsPolicy.PolicyName,
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = o.HealthCheckInterval,
                    Timeout = o.HealthCheckTimeout,
                    Policy = IdentityHealthPolicy.PolicyName,
                    Path = "/health",
                },
            },
            HttpRequest = new ForwarderRequestConfig { ActivityTimeout = o.StreamActivityTimeout },
        };
        return new PoolProxyConfig(
        [
            Route("sandrun-pool-logs", $"{prefix}/logs/{{jobId}}", "/logs/{workerJobId}"),
            Route("sandrun-pool-logs-stream", $"{prefix}/logs/{{jobId}}/stream", "/logs/{workerJobId}/stream"),
            Route("sandrun-pool-stream", $"{prefix}/stream/{{jobId}}", "/stream/{workerJobId}"),
            Route("sandrun-pool-download-all", $"{prefix}/download/{{jobId}}", "/download/{workerJobId}"),
            Route("sandrun-pool-download-one", $"{prefix}/download/{{jobId}}/{{**path}}", "/download/{workerJobId}/{**path}"),
            Route("sandrun-pool-outputs-file", $"{prefix}/outputs/{{jobId}}/{{**path}}", "/download/{workerJobId}/{**path}"),
        ],
        [cluster]);
    }

    private static RouteConfig Route(string id, string path, string workerPath) => new()
    {
        RouteId = id,
        ClusterId = PoolRoutes.ClusterId,
        CorsPolicy = PoolRoutes.CorsPolicy,
        Match = new RouteMatch { Path = path },
        Transforms = [new Dictionary<string, string>(StringComparer.Ordinal) { ["PathPattern"] = workerPath }],
    };

    private sealed class PoolProxyConfig(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken { get; } = new CancellationChangeToken(CancellationToken.None);
    }
}
