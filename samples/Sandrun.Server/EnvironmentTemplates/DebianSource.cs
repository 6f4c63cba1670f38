using System.Text.RegularExpressions;

namespace Sandrun.Server.EnvironmentTemplates;

/// <summary>
/// Fills a template from Debian packages: apt's own resolver says which packages (with dependencies) this host
/// lacks, apt downloads them (signature-checked against the archive), and dpkg-deb extracts them into the template.
/// Nothing is installed on the host and no maintainer script runs.
/// </summary>
internal static partial class DebianSource
{
    /// <summary>The template's Python directory, relative to its root.</summary>
    public const string PythonDirectory = "usr/lib/python3/dist-packages";

    /// <summary>Extracts the packages <paramref name="definition"/> needs into <paramref name="root"/>; returns the names of those extracted.</summary>
    public static async Task<IReadOnlyList<string>> InstallAsync(EnvironmentDefinition definition, string root, string downloads, TextWriter log, CancellationToken cancellationToken)
    {
        if (definition.Debian.Count == 0)
        {
            throw new EnvironmentBuildException($"the definition of {definition.Name} lists no Debian packages");
        }

        var plan = await ToolProcess.RunAsync("apt-get", ["-s", "-q", "install", "--no-install-recommends", "--", .. definition.Debian], cancellationToken: cancellationToken).ConfigureAwait(false);
        var wanted = InstLine().Matches(plan)
            .Select(m => (Name: m.Groups[1].Value, Version: m.Groups[2].Value, Arch: m.Groups[3].Value))
            .ToList();
        await log.WriteLineAsync($"{wanted.Count} Debian packages to extract ({definition.Debian.Count} listed, the rest their dependencies this host lacks)").ConfigureAwait(false);
        if (wanted.Count == 0)
        {
            return [];
        }

        Directory.CreateDirectory(downloads);
        await ToolProcess.RunAsync("apt-get", ["-q", "-o", "APT::Sandbox::User=root", "download", "--", .. wanted.Select(p => p.Arch == "all" ? $"{p.Name}={p.Version}" : $"{p.Name}:{p.Arch}={p.Version}")],
            downloads, cancellationToken).ConfigureAwait(false);
        var debs = Directory.GetFiles(downloads, "*.deb");
        if (debs.Length != wanted.Count)
        {
            throw new EnvironmentBuildException($"apt-get downloaded {debs.Length} of {wanted.Count} packages");
        }

        foreach (var deb in debs.Order(StringComparer.Ordinal))
        {
            await ToolProcess.RunAsync("dpkg-deb", ["-x", deb, root], cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var (link, target) in definition.DebianLinks!)
        {
            var path = Path.Combine(root, link);
            if (Directory.Exists(Path.GetDirectoryName(path)) && !Path.Exists(path) && Path.Exists(Path.Combine(root, target)))
            {
                File.CreateSymbolicLink(path, Path.GetRelativePath(Path.GetDirectoryName(path)!, Path.Combine(root, target)));
            }
        }

        return [.. wanted.Select(p => p.Name)];
    }

    // "Inst NAME [OLD] (VERSION ARCHIVE [ARCH])", the bracketed old version only when the host has another one.
    [GeneratedRegex(@"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) [^\[\n]*\[([^\]]+)\]", RegexOptions.Multiline)]
    private static partial Regex InstLine();
}
