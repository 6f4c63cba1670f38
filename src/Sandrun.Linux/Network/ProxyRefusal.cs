using System.Globalization;
using System.Text;

namespace Sandrun.Linux.Network;

/// <summary>Why the egress proxy turned a request away. Counted per kind and logged by kind only, never with job content.</summary>
internal enum RefusalKind
{
    /// <summary>Not a well-formed proxy request (400).</summary>
    Malformed,

    /// <summary>The request head exceeds <see cref="ProxyRequest.MaxHeadBytes"/> (431).</summary>
    HeadTooLarge,

    /// <summary>The head did not arrive in time (408).</summary>
    HeadTimeout,

    /// <summary>The target is not an allowed endpoint (403).</summary>
    NotAllowed,

    /// <summary>An allowed name resolved only to this host's loopback or unspecified address (403).</summary>
    HostLocal,

    /// <summary>An allowed name does not resolve (502).</summary>
    Unresolvable,

    /// <summary>No connection to the allowed endpoint (502), or not in time (504).</summary>
    Unreachable,

    /// <summary>The step already has its maximum of connections open (503).</summary>
    TooManyConnections,

    /// <summary>The step relayed its byte budget (403 for new requests; open connections are closed).</summary>
    ByteBudget,
}

/// <summary>A refusal: its kind and the one line of explanation sent to the client (the job) in the response body.</summary>
internal sealed record ProxyRefusal(RefusalKind Kind, string Message, bool TimedOut = false)
{
    private static readonly Dictionary<RefusalKind, string> StatusLines = new()
    {
        [RefusalKind.Malformed] = "400 Bad Request",
        [RefusalKind.HeadTooLarge] = "431 Request Header Fields Too Large",
        [RefusalKind.HeadTimeout] = "408 Request Timeout",
        [RefusalKind.NotAllowed] = "403 Forbidden",
        [RefusalKind.HostLocal] = "403 Forbidden",
        [RefusalKind.Unresolvable] = "502 Bad Gateway",
        [RefusalKind.Unreachable] = "502 Bad Gateway",
        [RefusalKind.TooManyConnections] = "503 Service Unavailable",
        [RefusalKind.ByteBudget] = "403 Forbidden",
    };

    /// <summary>The HTTP status line's code and reason.</summary>
    public string StatusLine => TimedOut ? "504 Gateway Timeout" : StatusLines[Kind];

    /// <summary>The whole response; the connection is closed after it.</summary>
    public byte[] Response()
    {
        var body = "sandrun egress proxy: " + Message + "\n";
        return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.1 {StatusLine}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
    }
}
