using Microsoft.Extensions.Options;

namespace Sandrun.Broker.Node;

/// <summary>Checks <see cref="BrokerNodeOptions"/> at start, naming the configuration key of a bad value.</summary>
internal sealed class BrokerNodeOptionsValidator : IValidateOptions<BrokerNodeOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerNodeOptions options)
    {
        var problems = new List<string>();
        if (options.Broker is not { IsAbsoluteUri: true } broker || (broker.Scheme != Uri.UriSchemeHttp && broker.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add("Sandrun:BrokerNode:Broker must be the broker's absolute http(s) URL");
        }

        if (options.Slots is < 1 or > 1024)
        {
            problems.Add("Sandrun:BrokerNode:Slots must be from 1 to 1024");
        }

        if (options.ClaimWaitSeconds is < 0 or > 300)
        {
            problems.Add("Sandrun:BrokerNode:ClaimWaitSeconds must be from 0 to 300");
        }

        if (options.CompletionAttempts is < 1 or > 100)
        {
            problems.Add("Sandrun:BrokerNode:CompletionAttempts must be from 1 to 100");
        }

        if (options.MaxReconnectDelay <= TimeSpan.Zero || options.MaxReconnectDelay > TimeSpan.FromMinutes(5))
        {
            problems.Add("Sandrun:BrokerNode:MaxReconnectDelay must be from 0 to 5 minutes");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
