using System.Net;
using Microsoft.Extensions.Options;

namespace Sandrun.AspNetCore;

/// <summary>Every trusted proxy must be an IP address; the message names the configuration key.</summary>
internal sealed class ClientAddressOptionsValidator : IValidateOptions<ClientAddressOptions>
{
    public ValidateOptionsResult Validate(string? name, ClientAddressOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.TrustedProxies
            .Select((proxy, i) => IPAddress.TryParse(proxy, out _) ? null : $"Sandrun:RateLimits:TrustedProxies:{i} must be an IP address (was '{proxy}')")
            .OfType<string>()
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
