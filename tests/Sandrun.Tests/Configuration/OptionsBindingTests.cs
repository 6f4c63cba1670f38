using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sandrun.Tests.Configuration;

public sealed class OptionsBindingTests
{
    [Fact]
    public void Spec_configuration_keys_bind_to_the_options()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandrun:Workers"] = "3",
            ["Sandrun:QueueCapacity"] = "7",
            ["Sandrun:RateLimits:CpuSecondsPerMinute"] = "2.5",
            ["Sandrun:Limits:MaxMemoryMb"] = "1024",
            ["Sandrun:Limits:OutputBytesPerStream"] = "4096",
            ["Sandrun:Retention:AfterFailure"] = "00:00:30",
            ["Sandrun:Environments:ml"] = "/opt/envs/ml",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddSandrun(configuration, o => o.QueueCapacity += 1).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<SandrunOptions>>().Value;
        Assert.Equal(3, options.Workers);
        Assert.Equal(8, options.QueueCapacity);
        Assert.Equal(2.5, options.RateLimits.CpuSecondsPerMinute);
        Assert.Equal(1024, options.Limits.MaxMemoryMb);
        Assert.Equal(4096, options.Limits.OutputBytesPerStream);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Retention.AfterFailure);
        Assert.Equal(TimeSpan.FromHours(1), options.Retention.AfterCompletion);
        Assert.Equal("/opt/envs/ml", options.Environments["ml"]);
    }
}
