using Microsoft.Extensions.Options;

namespace Sandrun.Jobs;

/// <summary>What this host offers jobs: installed interpreters and environment templates. Looked up once.</summary>
public sealed class EngineEnvironment
{
    /// <summary>Looks the host up.</summary>
    public EngineEnvironment(IOptions<SandrunOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Templates = options.Value.Environments
            .Where(kv => Directory.Exists(kv.Value))
            .ToDictionary(kv => kv.Key, kv => Path.GetFullPath(kv.Value), StringComparer.Ordinal);
        Interpreters = [.. Manifest.Interpreters.All.Where(i => new[] { "/usr/local/bin", "/usr/bin", "/bin" }.Any(d => File.Exists(Path.Combine(d, i))))];
    }

    /// <summary>Environment templates: name → read-only host directory.</summary>
    public IReadOnlyDictionary<string, string> Templates { get; }

    /// <summary>Interpreters installed on this host.</summary>
    public IReadOnlyList<string> Interpreters { get; }

    /// <summary>Where a template appears inside the sandbox.</summary>
    public static string TemplateMountPath(string name) => "/opt/sandrun/environments/" + name;
}
