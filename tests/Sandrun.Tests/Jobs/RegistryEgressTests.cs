using Microsoft.Extensions.Configuration;
using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>Networked install steps reach their configured registry and nothing the operator did not name.</summary>
public sealed class RegistryEgressTests
{
    [Fact]
    public void The_public_registries_come_with_the_hosts_they_serve_from()
    {
        var egress = new RegistryEgress(new RequirementsOptions());
        Assert.Equal(["pypi.org:443", "files.pythonhosted.org:443"], egress.Pip.Select(e => e.ToString()));
        Assert.Equal(["registry.npmjs.org:443"], egress.Npm.Select(e => e.ToString()));
        Assert.Equal(["rubygems.org:443", "index.rubygems.org:443"], egress.Gem.Select(e => e.ToString()));
    }

    [Fact]
    public void An_operator_with_a_mirror_gets_exactly_the_mirror_plus_what_they_list()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PipIndexUrl"] = "https://mirror.example/pypi/simple/",
            ["NpmRegistry"] = "http://127.0.0.1:4873/",
            ["GemSource"] = "https://mirror.example:8443/gems/",
            ["Egress:0"] = "cdn.mirror.example:443",
        }).Build();
        var options = new RequirementsOptions();
        configuration.Bind(options);
        var egress = new RegistryEgress(options);
        Assert.Equal(["mirror.example:443", "cdn.mirror.example:443"], egress.Pip.Select(e => e.ToString()));
        Assert.Equal(["127.0.0.1:4873", "cdn.mirror.example:443"], egress.Npm.Select(e => e.ToString()));
        Assert.Equal(["mirror.example:8443", "cdn.mirror.example:443"], egress.Gem.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("PipIndexUrl", "file:///srv/wheels")]
    [InlineData("NpmRegistry", "registry.npmjs.org")]
    [InlineData("GemSource", "ftp://mirror.example/")]
    [InlineData("Egress", "cdn.mirror.example")]
    [InlineData("Egress", "https://cdn.mirror.example/")]
    [InlineData("Egress", "127.1:80")]
    public void Configuration_that_does_not_parse_stops_startup_naming_the_key(string key, string value)
    {
        var options = new RequirementsOptions();
        switch (key)
        {
            case "PipIndexUrl": options.PipIndexUrl = value; break;
            case "NpmRegistry": options.NpmRegistry = value; break;
            case "GemSource": options.GemSource = value; break;
            default: options.Egress.Add(value); break;
        }

        var e = Assert.Throws<InvalidOperationException>(() => new RegistryEgress(options));
        Assert.Contains("Requirements:" + key, e.Message, StringComparison.Ordinal);
    }
}
