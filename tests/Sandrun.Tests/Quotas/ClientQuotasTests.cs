using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Sandrun.Quotas;

namespace Sandrun.Tests.Quotas;

public sealed class ClientQuotasTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.Parse("2026-11-26T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private ClientQuotas Create(Action<RateLimitOptions>? configure = null)
    {
        var options = new SandrunOptions();
        configure?.Invoke(options.RateLimits);
        return new ClientQuotas(Options.Create(options), time);
    }

    [Fact]
    public void Active_jobs_are_capped_per_client_and_freed_when_jobs_end()
    {
        var quotas = Create();
        Assert.True(quotas.TryAdmit("1.1.1.1").Allowed);
        Assert.True(quotas.TryAdmit("1.1.1.1").Allowed);
        var third = quotas.TryAdmit("1.1.1.1");
        Assert.False(third.Allowed);
        Assert.Contains("2 jobs", third.Reason, StringComparison.Ordinal);
        Assert.True(third.RetryAfter > TimeSpan.Zero);
        Assert.True(quotas.TryAdmit("2.2.2.2").Allowed);
        quotas.JobEnded("1.1.1.1");
        Assert.True(quotas.TryAdmit("1.1.1.1").Allowed);
    }

    [Fact]
    public void Submissions_per_hour_use_a_sliding_window_with_an_exact_retry_after()
    {
        var quotas = Create(o => o.MaxActiveJobs = 100);
        for (var i = 0; i < 20; i++)
        {
            Assert.True(quotas.TryAdmit("c").Allowed);
            quotas.JobEnded("c");
            time.Advance(TimeSpan.FromMinutes(1));
        }

        var refused = quotas.TryAdmit("c");
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromMinutes(40), refused.RetryAfter);
        time.Advance(TimeSpan.FromMinutes(40));
        Assert.True(quotas.TryAdmit("c").Allowed);
    }

    [Fact]
    public void Cpu_seconds_per_sliding_minute_block_until_charges_age_out()
    {
        var quotas = Create();
        Assert.True(quotas.TryAdmit("c").Allowed);
        quotas.ChargeCpu("c", TimeSpan.FromSeconds(6));
        quotas.JobEnded("c");
        time.Advance(TimeSpan.FromSeconds(20));
        quotas.ChargeCpu("c", TimeSpan.FromSeconds(5));
        var snapshot = quotas.Snapshot("c");
        Assert.Equal(11, snapshot.UsedCpuSeconds, 3);
        Assert.Equal(0, snapshot.AvailableCpuSeconds);
        Assert.False(snapshot.CanSubmit);
        var refused = quotas.TryAdmit("c");
        Assert.False(refused.Allowed);
        Assert.Equal(TimeSpan.FromSeconds(40), refused.RetryAfter);
        time.Advance(TimeSpan.FromSeconds(41));
        Assert.True(quotas.TryAdmit("c").Allowed);
    }

    [Fact]
    public void Disabled_quotas_admit_everything()
    {
        var quotas = Create(o => o.Enabled = false);
        for (var i = 0; i < 50; i++)
        {
            Assert.True(quotas.TryAdmit("c").Allowed);
        }
    }
}
