using System.Net;

namespace Sandrun.AspNetCore.Api;

/// <summary>
/// The client IP used for quotas: the TCP peer, unless the peer is a configured trusted proxy, in which case
/// the right-most X-Forwarded-For address that is not itself a trusted proxy.
/// </summary>
internal static class ClientAddress
{
    public static string Resolve(HttpContext context, IEnumerable<string> trustedProxies)
    {
        var peer = Normalize(context.Connection.RemoteIpAddress);
        var trusted = trustedProxies.Select(p => IPAddress.TryParse(p, out var a) ? Normalize(a) : null).Where(a => a is not null).ToHashSet();
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

            var normalized = Normalize(hop)!;
            if (!trusted.Contains(normalized))
            {
                return normalized.ToString();
            }
        }

        return peer.ToString();
    }

    private static IPAddress? Normalize(IPAddress? address) =>
        address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
}
