using Microsoft.Extensions.Options;

namespace Sandrun.Broker;

/// <summary>Checks <see cref="BrokerOptions"/> at start; a bad value stops the start, naming its configuration key.</summary>
internal sealed class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Postgres) && string.IsNullOrWhiteSpace(options.Database))
        {
            problems.Add("Sandrun:Broker:Database must name a SQLite file when Sandrun:Broker:Postgres is not set");
        }

        Check(options.LeaseSeconds is >= 1 and <= 86_400, "Sandrun:Broker:LeaseSeconds must be from 1 to 86400");
        Check(options.MaxAttempts is >= 1 and <= 100, "Sandrun:Broker:MaxAttempts must be from 1 to 100");
        Check(options.RetryBackoff >= TimeSpan.Zero && options.RetryBackoff <= options.MaxRetryBackoff, "Sandrun:Broker:RetryBackoff must be from 0 to MaxRetryBackoff");
        Check(options.MaxRetryBackoff <= TimeSpan.FromDays(1), "Sandrun:Broker:MaxRetryBackoff must be at most a day");
        Check(options.ResultTtl > TimeSpan.Zero, "Sandrun:Broker:ResultTtl must be positive");
        Check(options.SweepInterval >= TimeSpan.FromMilliseconds(50) && options.SweepInterval <= TimeSpan.FromMinutes(1), "Sandrun:Broker:SweepInterval must be from 50 ms to 1 minute");
        Check(options.MaxClaimWaitSeconds is >= 0 and <= 300, "Sandrun:Broker:MaxClaimWaitSeconds must be from 0 to 300");
        Check(options.MaxResultBytes >= 1 << 20, "Sandrun:Broker:MaxResultBytes must be at least 1 MiB");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);

        void Check(bool ok, string problem)
        {
            if (!ok)
            {
                problems.Add(problem);
            }
        }
    }
}
