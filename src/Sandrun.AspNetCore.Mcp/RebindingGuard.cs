namespace Sandrun.AspNetCore.Mcp;

/// <summary>
/// DNS rebinding protection for the MCP endpoint (MCP transports, "Security Warning"): the <c>Host</c> header must
/// name this server (loopback or a configured name) and an <c>Origin</c> header, when a browser sends one, must be
/// allowed. A page on another site can then neither rebind a name to 127.0.0.1 nor call the endpoint cross-origin.
/// </summary>
internal sealed class RebindingGuard
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]", "::1"];

    private readonly bool anyHost;

    private readonly HashSet<string> hosts;

    private readonly HashSet<string> hostsWithPort;

    private readonly HashSet<string> origins;

    public RebindingGuard(SandrunMcpOptions options)
    {
        anyHost = options.AllowedHosts.Any(h => h.Trim() == "*");
        var configured = options.AllowedHosts.Select(h => h.Trim().ToLowerInvariant()).Where(h => h.Length > 0 && h != "*").ToList();
        hosts = [.. LoopbackHosts, .. configured.Where(h => !HasPort(h))];
        hostsWithPort = [.. configured.Where(HasPort)];
        origins = [.. options.AllowedOrigins.Select(o => o.Trim().TrimEnd('/').ToLowerInvariant()).Where(o => o.Length > 0)];
    }

    /// <summary>Whether the Host check is off (<c>AllowedHosts: ["*"]</c>).</summary>
    public bool AnyHost => anyHost;

    /// <summary>Null when the request may proceed; otherwise why it is refused.</summary>
    public string? Refusal(HttpRequest request)
    {
        var host = request.Headers.Host.ToString();
        if (!anyHost && !IsAllowedHost(host))
        {
            return host.Length == 0
                ? "missing Host header"
                : $"Host '{Shorten(host)}' is not allowed (DNS rebinding protection); an operator can add it to Sandrun:Mcp:AllowedHosts";
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsAllowedOrigin(origin))
        {
            return $"Origin '{Shorten(origin)}' is not allowed; an operator can add it to Sandrun:Mcp:AllowedOrigins";
        }

        return null;
    }

    /// <summary>Whether a browser origin may call the endpoint: listed, or with an allowed host (also the CORS policy's test).</summary>
    public bool IsAllowedOrigin(string origin)
    {
        var normalized = origin.Trim().TrimEnd('/').ToLowerInvariant();
        if (origins.Contains(normalized))
        {
            return true;
        }

        return Uri.TryCreate(normalized, UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https"
            && uri.PathAndQuery == "/"
            && IsAllowedHost(uri.IsDefaultPort ? FormatHost(uri) : $"{FormatHost(uri)}:{uri.Port}");
    }

    private bool IsAllowedHost(string hostHeader)
    {
        var value = hostHeader.Trim().ToLowerInvariant();
        if (value.Length == 0)
        {
            return false;
        }

        if (hostsWithPort.Contains(value))
        {
            return true;
        }

        var name = value;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < value.Length && !IsPort(value[(close + 1)..])))
            {
                return false;
            }

            name = value[..(close + 1)];
        }
        else if (value.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
        {
            if (!IsPort(value[colon..]))
            {
                return false;
            }

            name = value[..colon];
        }

        return hosts.Contains(name);
    }

    private static string FormatHost(Uri uri) => uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.IdnHost;

    private static bool IsPort(string suffix) =>
        suffix.Length is > 1 and <= 6 && suffix[0] == ':' && suffix[1..].All(char.IsAsciiDigit);

    private static bool HasPort(string host) =>
        host.StartsWith('[') ? host.Contains("]:", StringComparison.Ordinal) : host.Contains(':', StringComparison.Ordinal);

    private static string Shorten(string s) => s.Length <= 100 ? s : s[..100] + "…";
}
