using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sandrun.Abstractions;

/// <summary>
/// A host and TCP port a sandboxed step may connect to (<see cref="SandboxSpec.Egress"/>). The host is kept in one
/// canonical spelling (lowercase DNS name, dotted-quad IPv4, compressed IPv6 without brackets), so two endpoints are
/// the same exactly when their strings are.
/// </summary>
public sealed record EgressEndpoint
{
    /// <summary>Creates an endpoint; throws <see cref="ArgumentException"/> for anything but a DNS name or IP literal and a port 1–65535.</summary>
    /// <param name="host">DNS name or IP literal (IPv6 with or without brackets).</param>
    /// <param name="port">TCP port.</param>
    public EgressEndpoint(string host, int port)
    {
        ArgumentNullException.ThrowIfNull(host);
        Host = CanonicalHost(host) ?? throw new ArgumentException($"'{host}' is not a DNS name or an IP address", nameof(host));
        Port = port is >= 1 and <= 65535 ? port : throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is 1-65535");
    }

    /// <summary>The canonical host.</summary>
    public string Host { get; }

    /// <summary>The TCP port.</summary>
    public int Port { get; }

    /// <summary>Whether the host names this machine's loopback (<c>localhost</c>, 127.0.0.0/8, ::1).</summary>
    public bool IsLoopback => Host == "localhost" || (IPAddress.TryParse(Host, out var address) && IPAddress.IsLoopback(address));

    /// <summary><c>host:port</c>, an IPv6 host in brackets.</summary>
    public override string ToString() => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Parses exactly <c>host:port</c> (<c>[v6]:port</c> for IPv6), as written in configuration and in an HTTP CONNECT
    /// request; null for anything else (no userinfo, no path, no missing or zero-padded port, no lenient IPv4 forms like
    /// <c>127.1</c>).
    /// </summary>
    /// <param name="authority">The text.</param>
    public static EgressEndpoint? TryParse(string? authority)
    {
        if (string.IsNullOrEmpty(authority) || authority.Length > 300)
        {
            return null;
        }

        string host;
        string port;
        if (authority[0] == '[')
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= authority.Length || authority[close + 1] != ':')
            {
                return null;
            }

            host = authority[1..close];
            port = authority[(close + 2)..];
            if (!host.Contains(':', StringComparison.Ordinal))
            {
                return null;
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            if (colon <= 0)
            {
                return null;
            }

            host = authority[..colon];
            port = authority[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                return null;
            }
        }

        return port.Length is >= 1 and <= 5 && port[0] != '0' && port.All(char.IsAsciiDigit) && int.Parse(port, CultureInfo.InvariantCulture) is >= 1 and <= 65535 and var number
            && CanonicalHost(host) is { } canonical
            ? new EgressEndpoint(canonical, number)
            : null;
    }

    /// <summary>The endpoint an absolute http or https URL connects to (its port, or the scheme's default).</summary>
    /// <param name="url">The URL.</param>
    public static EgressEndpoint FromUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"'{url}' is not an absolute http or https URL", nameof(url));
        }

        return new EgressEndpoint(url.IdnHost, url.Port);
    }

    /// <summary>
    /// The canonical spelling of a DNS name or IP literal, or null for anything else. A name whose last label is numeric
    /// must be a plain dotted-quad: resolvers read <c>127.1</c> or <c>2130706433</c> as addresses.
    /// </summary>
    private static string? CanonicalHost(string host)
    {
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            return !host.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(host, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                ? v6.ToString()
                : null;
        }

        var name = host.EndsWith('.') ? host[..^1].ToLowerInvariant() : host.ToLowerInvariant();
        var labels = name.Split('.');
        if (name.Length is 0 or > 253 || labels.Any(l => l.Length is 0 or > 63 || l[0] == '-' || l[^1] == '-' || !l.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            return null;
        }

        if (!labels[^1].All(char.IsAsciiDigit))
        {
            return name;
        }

        return labels.Length == 4 && labels.All(l => l.Length <= 3 && (l.Length == 1 || l[0] != '0') && int.Parse(l, CultureInfo.InvariantCulture) <= 255) ? name : null;
    }
}
