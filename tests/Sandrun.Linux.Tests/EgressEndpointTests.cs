using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>Endpoints have one spelling, so the proxy's allowlist check is a string comparison that cannot be talked around.</summary>
public sealed class EgressEndpointTests
{
    [Theory]
    [InlineData("PyPI.org.:443", "pypi.org:443")]
    [InlineData("127.0.0.1:8080", "127.0.0.1:8080")]
    [InlineData("[0:0:0:0:0:0:0:1]:80", "[::1]:80")]
    [InlineData("[::FFFF:127.0.0.1]:80", "[::ffff:127.0.0.1]:80")]
    [InlineData("files.pythonhosted.org:443", "files.pythonhosted.org:443")]
    public void Authorities_parse_to_their_canonical_spelling(string text, string canonical) =>
        Assert.Equal(canonical, EgressEndpoint.TryParse(text)?.ToString());

    [Theory]
    [InlineData("")]
    [InlineData("pypi.org")]
    [InlineData("pypi.org:")]
    [InlineData(":443")]
    [InlineData("pypi.org:0")]
    [InlineData("pypi.org:65536")]
    [InlineData("pypi.org:0443")]
    [InlineData("pypi.org:-1")]
    [InlineData("pypi.org:443/simple")]
    [InlineData("user@pypi.org:443")]
    [InlineData("py_pi.org:443")]
    [InlineData("-pypi.org:443")]
    [InlineData("pypi..org:443")]
    [InlineData("127.1:80")]
    [InlineData("127.0.0.01:80")]
    [InlineData("256.0.0.1:80")]
    [InlineData("1.2.3.4.5:80")]
    [InlineData("::1:80")]
    [InlineData("[::1]")]
    [InlineData("[::1]80")]
    [InlineData("[fe80::1%eth0]:80")]
    [InlineData("[pypi.org]:443")]
    public void Anything_else_does_not_parse(string text) => Assert.Null(EgressEndpoint.TryParse(text));

    [Theory]
    [InlineData("https://pypi.org/simple/", "pypi.org:443")]
    [InlineData("http://127.0.0.1:5000/simple/", "127.0.0.1:5000")]
    [InlineData("https://user:secret@Mirror.Example:8443/npm/", "mirror.example:8443")]
    [InlineData("https://[::1]:8443/", "[::1]:8443")]
    public void A_registry_url_names_its_endpoint(string url, string endpoint) =>
        Assert.Equal(endpoint, EgressEndpoint.FromUrl(new Uri(url)).ToString());

    [Fact]
    public void A_url_that_is_not_http_is_refused() =>
        Assert.Throws<ArgumentException>(() => EgressEndpoint.FromUrl(new Uri("ftp://mirror.example/")));
}
