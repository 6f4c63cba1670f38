namespace Sandrun.AspNetCore;

/// <summary>
/// Who a client is for the per-client quotas. Bound from the <c>Sandrun:RateLimits</c> section (the key
/// <c>Sandrun:RateLimits:TrustedProxies</c> of SPEC.md §0); an HTTP concern, so it lives here and not in the engine.
/// </summary>
public sealed class ClientAddressOptions
{
    /// <summary>
    /// Proxies (IP addresses) trusted to supply the client address in <c>X-Forwarded-For</c>; requests from any other
    /// peer count against the peer's own address.
    /// </summary>
    public IList<string> TrustedProxies { get; set; } = [];
}
