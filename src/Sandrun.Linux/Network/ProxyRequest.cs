using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Sandrun.Abstractions;

namespace Sandrun.Linux.Network;

/// <summary>
/// One HTTP/1.x request head sent to the egress proxy, parsed strictly: either <c>CONNECT host:port</c> (a tunnel, for
/// https) or an absolute <c>http://</c> URL to forward. Anything else is refused, never guessed at.
/// </summary>
internal sealed class ProxyRequest
{
    /// <summary>Largest request head accepted (request line and headers).</summary>
    public const int MaxHeadBytes = 16 * 1024;

    private const int MaxHeaders = 100;

    // Hop-by-hop fields (RFC 9110 §7.6.1), the proxy's own, and Host (set from the URL): never passed on to the origin.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Authenticate", "TE", "Trailer", "Upgrade", "Host",
    };

    /// <summary>Bytes a head may contain: visible ASCII, space, HTAB, CR, LF.</summary>
    private static readonly SearchValues<byte> FieldBytes =
        SearchValues.Create([.. Enumerable.Range(0x20, 0x5f).Select(b => (byte)b), (byte)'\t', (byte)'\r', (byte)'\n']);

    private ProxyRequest(string method, EgressEndpoint target, string? path, string version, List<KeyValuePair<string, string>> headers)
    {
        Method = method;
        Target = target;
        Path = path;
        Version = version;
        Headers = headers;
    }

    /// <summary>The method (<c>CONNECT</c>, <c>GET</c>, …).</summary>
    public string Method { get; }

    /// <summary>Where the client wants to go.</summary>
    public EgressEndpoint Target { get; }

    /// <summary>Whether this opens a tunnel (CONNECT) rather than forwarding one plain-http request.</summary>
    public bool IsTunnel => Path is null;

    /// <summary>The origin-form target (<c>/path?query</c>) to forward; null for CONNECT.</summary>
    public string? Path { get; }

    /// <summary><c>HTTP/1.1</c> or <c>HTTP/1.0</c>.</summary>
    public string Version { get; }

    /// <summary>Header fields as received, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Length of the head (through the blank line) at the start of <paramref name="buffer"/>, or -1 while incomplete.</summary>
    public static int HeadLength(ReadOnlySpan<byte> buffer)
    {
        var end = buffer.IndexOf("\r\n\r\n"u8);
        return end < 0 ? -1 : end + 4;
    }

    /// <summary>Parses a complete head (as delimited by <see cref="HeadLength"/>).</summary>
    public static bool TryParse(ReadOnlySpan<byte> head, [NotNullWhen(true)] out ProxyRequest? request, [NotNullWhen(false)] out ProxyRefusal? refusal)
    {
        refusal = Parse(head, out request);
        return refusal is null;
    }

    /// <summary>The head to send to the origin: origin-form target, its Host, no hop-by-hop fields, one request per connection.</summary>
    public byte[] ForwardHead()
    {
        var head = new StringBuilder();
        head.Append(Method).Append(' ').Append(Path).Append(' ').Append(Version).Append("\r\n");
        head.Append("Host: ").Append(Target.Port == 80 ? Target.ToString()[..^3] : Target.ToString()).Append("\r\n");
        var named = Headers.Where(h => h.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in Headers.Where(h => !NotForwarded.Contains(h.Key) && !named.Contains(h.Key)))
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        return Encoding.ASCII.GetBytes(head.ToString());
    }

    private static ProxyRefusal? Parse(ReadOnlySpan<byte> head, out ProxyRequest? request)
    {
        request = null;
        if (head.Length > MaxHeadBytes)
        {
            return new(RefusalKind.HeadTooLarge, "request head too large");
        }

        if (!head.EndsWith("\r\n\r\n"u8) || head.ContainsAnyExcept(FieldBytes))
        {
            return Malformed("request head is not printable ASCII lines ending in CRLF");
        }

        var lines = Encoding.ASCII.GetString(head[..^4]).Split("\r\n");
        if (lines.Any(l => l.Contains('\r', StringComparison.Ordinal) || l.Contains('\n', StringComparison.Ordinal)))
        {
            return Malformed("bare CR or LF in the request head");
        }

        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || parts[0].Length is 0 or > 20 || !parts[0].All(char.IsAsciiLetterUpper) || parts[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return Malformed("request line is not METHOD TARGET HTTP/1.x");
        }

        if (lines.Length - 1 > MaxHeaders)
        {
            return new(RefusalKind.HeadTooLarge, "too many header fields");
        }

        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !line[..colon].All(IsTokenChar))
            {
                return Malformed("malformed header field");
            }

            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        var (method, target, version) = (parts[0], parts[1], parts[2]);
        if (method == "CONNECT")
        {
            if (EgressEndpoint.TryParse(target) is not { } endpoint)
            {
                return Malformed("CONNECT needs host:port");
            }

            request = new ProxyRequest(method, endpoint, null, version, headers);
            return null;
        }

        if (target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return Malformed("https goes through CONNECT");
        }

        if (!target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return Malformed("a proxy request names an absolute http:// URL");
        }

        var rest = target["http://".Length..];
        var end = rest.IndexOfAny(['/', '?']);
        var authority = end < 0 ? rest : rest[..end];
        var path = end < 0 ? "/" : rest[end] == '?' ? "/" + rest[end..] : rest[end..];
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            return Malformed("user information in the URL is not accepted");
        }

        if (target.Contains('#', StringComparison.Ordinal))
        {
            return Malformed("a fragment is not part of a request");
        }

        var withPort = authority.EndsWith(']') || !authority.Contains(':', StringComparison.Ordinal) ? authority + ":80" : authority;
        if (EgressEndpoint.TryParse(withPort) is not { } origin)
        {
            return Malformed("the URL's host is not a DNS name or IP address");
        }

        request = new ProxyRequest(method, origin, path, version, headers);
        return null;
    }

    private static ProxyRefusal Malformed(string why) => new(RefusalKind.Malformed, why);

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal);
}
