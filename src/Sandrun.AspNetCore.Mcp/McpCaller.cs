namespace Sandrun.AspNetCore.Mcp;

/// <summary>
/// Who a tool call counts against in the per-client quotas: over HTTP the same client address as the REST API
/// (trusted proxies included), over stdio the one local client.
/// </summary>
internal sealed class McpCaller(IHttpContextAccessor http, SandrunClientAddress? clients = null)
{
    /// <summary>The quota identity of a stdio session (there is one client: the process that started the server).</summary>
    public const string Local = "mcp-stdio";

    // MapSandrunMcp() requires AddSandrunApi(), so an HTTP call always has the resolver.
    public string Current => http.HttpContext is { } context && clients is not null ? clients.Resolve(context) : Local;
}
