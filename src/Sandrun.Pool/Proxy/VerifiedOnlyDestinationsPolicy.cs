using Sandrun.Pool.Workers;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Sandrun.Pool.Proxy;

/// <summary>
/// Which workers YARP may send requests to: only those verified and healthy now. YARP's defaults would also use workers
/// not yet probed (Unknown) and, when none is healthy, all of them.
/// </summary>
internal sealed class VerifiedOnlyDestinationsPolicy(PoolWorkers workers) : IAvailableDestinationsPolicy
{
    public const string PolicyName = "SandrunVerifiedOnly";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        ArgumentNullException.ThrowIfNull(allDestinations);
        return [.. allDestinations.Where(d => d.Health.Active == DestinationHealth.Healthy && workers.ByDestination(d.DestinationId) is { Usable: true })];
    }
}
