using Sandrun.AspNetCore;
using Sandrun.Receipts;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Sandrun.Pool.Proxy;

/// <summary>YARP's active probe of a worker: <c>GET /health</c> with a fresh <c>Sandrun-Challenge</c> each time (SPEC.md §7).</summary>
internal sealed class ChallengeProbingRequestFactory : IProbingRequestFactory
{
    public HttpRequestMessage CreateRequest(ClusterModel cluster, DestinationModel destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(destination.Config.Address.TrimEnd('/') + "/"), "health"))
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.TryAddWithoutValidation(SandrunChallengeHeaders.Challenge, WorkerChallenge.Create());
        return request;
    }
}
