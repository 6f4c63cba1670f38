using System.Net;
using Microsoft.Extensions.Options;

namespace Sandrun.AspNetCore;

/// <summary>
/// The client address a request counts against in the per-client quotas: the TCP peer, unless the peer is a trusted
/// proxy (<see cref="ClientAddressOptions.TrustedProxies"/>), then the right-most <c>X-Forwarded-For</c> address that
/// is not itself a trusted proxy. Shared by the REST API and the MCP endpoint, so both count against one quota.
/// </summary>
public sealed class SandrunClientAddress
{
    private readonly HashSet<IPAddress> trusted;

    /// <summary>Creates the resolver from the configured trusted proxies.</summary>
    public SandrunClientAddress(IOptions<ClientAddressOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        trusted = [.. options.Value.TrustedProxies.Select(p => IPAddress.TryParse(p, out var a) ? Normalize(a) : null).OfType<IPAddress>()];
    }

    /// <summary>The quota key of <paramref name="context"/>'s client: an IP address, or <c>unknown</c>.</summary>
    public string Resolve(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var peer = context.Connection.RemoteIpAddress is { } remote ? Normalize(remote) : null;
        if (peer is null || !trusted.Contains(peer))
        {
            return peer?.ToString() ?? "unknown";
        }

        var hops = context.Request.Headers["X-Forwarded-For"].ToString()
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = hops.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(hops[i], out var hop))
            {
                break;
            }

            var normalized = Normalize(hop);
            if (!trusted.Contains(normalized))
            {
                return normalized.ToString();
            }
        }

        return peer.ToString();
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
