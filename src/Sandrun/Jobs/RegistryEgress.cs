using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>
/// Where each networked install step may connect: its registry URL's host:port, the hosts a public registry serves
/// from besides it, and the operator's <see cref="RequirementsOptions.Egress"/> entries. Built once at startup;
/// configuration that does not parse stops the engine from starting.
/// </summary>
internal sealed class RegistryEgress
{
    // PyPI's index links its files to files.pythonhosted.org; bundler reads rubygems.org's compact index from
    // index.rubygems.org. A mirror at any other URL gets its own endpoint only.
    private static readonly Dictionary<EgressEndpoint, EgressEndpoint[]> PublicRegistryHosts = new()
    {
        [new("pypi.org", 443)] = [new("files.pythonhosted.org", 443)],
        [new("rubygems.org", 443)] = [new("index.rubygems.org", 443)],
    };

    public RegistryEgress(RequirementsOptions options)
    {
        var extra = options.Egress.Select(e => EgressEndpoint.TryParse(e)
            ?? throw new InvalidOperationException($"Requirements:Egress entry '{e}' is not host:port")).ToArray();
        Pip = For(options.PipIndexUrl, nameof(options.PipIndexUrl), extra);
        Npm = For(options.NpmRegistry, nameof(options.NpmRegistry), extra);
        Gem = For(options.GemSource, nameof(options.GemSource), extra);
    }

    /// <summary>For pip (<see cref="RequirementsOptions.PipIndexUrl"/>).</summary>
    public IReadOnlyList<EgressEndpoint> Pip { get; }

    /// <summary>For npm (<see cref="RequirementsOptions.NpmRegistry"/>).</summary>
    public IReadOnlyList<EgressEndpoint> Npm { get; }

    /// <summary>For bundler (<see cref="RequirementsOptions.GemSource"/>).</summary>
    public IReadOnlyList<EgressEndpoint> Gem { get; }

    /// <summary>Every endpoint any of the steps may reach (for the startup log).</summary>
    public IEnumerable<EgressEndpoint> All => Pip.Concat(Npm).Concat(Gem).Distinct();

    private static EgressEndpoint[] For(string url, string key, EgressEndpoint[] extra)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"Requirements:{key} '{url}' is not an absolute http or https URL");
        }

        var own = EgressEndpoint.FromUrl(uri);
        return [.. new[] { own }.Concat(PublicRegistryHosts.GetValueOrDefault(own, [])).Concat(extra).Distinct()];
    }
}
