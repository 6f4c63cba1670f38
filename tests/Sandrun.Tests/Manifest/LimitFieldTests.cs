using static Sandrun.Tests.Manifest.ManifestTesting;

namespace Sandrun.Tests.Manifest;

/// <summary><c>timeout</c>, <c>memory_mb</c>, <c>cpu_seconds</c>: integers within the configured range.</summary>
public sealed class LimitFieldTests
{
    [Theory]
    [InlineData("timeout", "1", 1)]
    [InlineData("timeout", "3600", 3600)]
    [InlineData("timeout", "300.0", 300)]
    [InlineData("timeout", "3e2", 300)]
    [InlineData("memory_mb", "16", 16)]
    [InlineData("memory_mb", "2048", 2048)]
    [InlineData("memory_mb", "1000", 1000)]
    [InlineData("cpu_seconds", "1", 1)]
    [InlineData("cpu_seconds", "60", 60)]
    public void Values_in_range_are_accepted(string field, string value, int expected)
    {
        var manifest = Parse($$"""{"{{field}}": {{value}}}""");

        Assert.Equal(expected, field switch
        {
            "timeout" => manifest.TimeoutSeconds,
            "memory_mb" => manifest.MemoryMb,
            _ => manifest.CpuSeconds,
        });
    }

    [Theory]
    [InlineData("timeout", "0")]
    [InlineData("timeout", "-5")]
    [InlineData("timeout", "3601")]
    [InlineData("timeout", "99999999999")]
    [InlineData("timeout", "1e400")]
    [InlineData("timeout", "1.5")]
    [InlineData("timeout", "0.5")]
    [InlineData("timeout", "\"10\"")]
    [InlineData("timeout", "true")]
    [InlineData("timeout", "[10]")]
    [InlineData("timeout", "{\"seconds\": 10}")]
    [InlineData("memory_mb", "15")]
    [InlineData("memory_mb", "0")]
    [InlineData("memory_mb", "2049")]
    [InlineData("memory_mb", "512.5")]
    [InlineData("memory_mb", "\"512\"")]
    [InlineData("cpu_seconds", "0")]
    [InlineData("cpu_seconds", "61")]
    [InlineData("cpu_seconds", "2.5")]
    [InlineData("cpu_seconds", "false")]
    public void Values_out_of_range_or_not_integers_name_the_field(string field, string value)
    {
        var error = AssertField(field, $$"""{"{{field}}": {{value}}}""");

        Assert.StartsWith("must be an integer from ", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void The_error_states_the_range_and_what_was_given()
    {
        Assert.Equal("must be an integer from 1 to 3600 (seconds of wall-clock time) (got 5000)", AssertField("timeout", """{"timeout": 5000}""").Details);
        Assert.Equal("must be an integer from 16 to 2048 (MiB) (got a string)", AssertField("memory_mb", """{"memory_mb": "1G"}""").Details);
    }

    [Fact]
    public void Maxima_come_from_the_configured_limits()
    {
        var context = Context(limits: new LimitOptions { MaxTimeoutSeconds = 10, MaxMemoryMb = 64, MaxCpuSeconds = 5 });

        Assert.Equal(10, Parse("""{"timeout": 10}""", context).TimeoutSeconds);
        Assert.Contains("from 1 to 10", AssertField("timeout", """{"timeout": 11}""", context).Details, StringComparison.Ordinal);
        AssertField("memory_mb", """{"memory_mb": 65}""", context);
        AssertField("cpu_seconds", """{"cpu_seconds": 6}""", context);
    }
}
