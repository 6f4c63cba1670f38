using Microsoft.Extensions.Options;
using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>What this host offers jobs: the interpreters the sandbox can run and environment templates. Looked up once.</summary>
public sealed class EngineEnvironment
{
    /// <summary>Looks the host up; which interpreters exist is the sandbox's answer.</summary>
    public EngineEnvironment(IOptions<SandrunOptions> options, ISandbox sandbox)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sandbox);
        Templates = options.Value.Environments
            .Where(kv => Directory.Exists(kv.Value))
            .ToDictionary(kv => kv.Key, kv => Path.GetFullPath(kv.Value), StringComparer.Ordinal);
        Interpreters = [.. Manifest.Interpreters.All.Where(sandbox.CanRun)];
    }

    /// <summary>Environment templates: name → read-only host directory.</summary>
    public IReadOnlyDictionary<string, string> Templates { get; }

    /// <summary>Interpreters the sandbox can run, in <see cref="Manifest.Interpreters.All"/> order.</summary>
    public IReadOnlyList<string> Interpreters { get; }

    /// <summary>Where a template appears inside the sandbox.</summary>
    public static string TemplateMountPath(string name) => "/opt/sandrun/environments/" + name;
}
