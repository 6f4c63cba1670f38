using System.Security.Cryptography;
using System.Text;
using Sandrun.Broker.Storage;

namespace Sandrun.Broker.Api;

/// <summary>
/// Who is calling a node endpoint: the registered node whose token (<c>Authorization: Bearer …</c>, issued at
/// registration once the node proved its key) the request carries. The broker keeps only the token's SHA-256.
/// </summary>
internal static class NodeAuthentication
{
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static async Task<(BrokerNode? Node, IResult? Refusal)> AuthenticateAsync(HttpRequest request, IBrokerStore store, BrokerMetrics metrics)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || header.Length is < 8 or > 200)
        {
            metrics.Refused("unregistered");
            return (null, Unregistered("no node token: register first (POST /register), then send Authorization: Bearer <token>"));
        }

        var node = await store.FindNodeAsync(Hash(header[7..].Trim()), request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (node is null)
        {
            metrics.Refused("unregistered");
            return (null, Unregistered("unknown node token: register (again) with POST /register"));
        }

        return (node, null);
    }

    private static IResult Unregistered(string details) => new WithChallenge(BrokerJson.Error(StatusCodes.Status401Unauthorized, "node not registered", details));

    private sealed class WithChallenge(IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer realm=\"sandrun-broker\"";
            return inner.ExecuteAsync(httpContext);
        }
    }
}
