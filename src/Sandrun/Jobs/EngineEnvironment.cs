using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.EnvironmentTemplates;

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
        var descriptors = new Dictionary<string, EnvironmentDescriptor>(StringComparer.Ordinal);
        foreach (var (name, directory) in Templates)
        {
            try
            {
                if (EnvironmentDescriptor.Read(directory) is { } descriptor)
                {
                    descriptors[name] = descriptor;
                }
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"Sandrun:Environments:{name}: the template's {EnvironmentDescriptor.FileName} cannot be used: {e.Message}", e);
            }
        }

        Descriptors = descriptors;
        Interpreters = [.. Manifest.Interpreters.All.Where(sandbox.CanRun)];
    }

    /// <summary>What built templates hold (<c>Sandrun.Server environments build</c>), by name; a hand-made template has none.</summary>
    public IReadOnlyDictionary<string, EnvironmentDescriptor> Descriptors { get; }

    /// <summary>
    /// The variables a job using template <paramref name="name"/> gets (its Python and library paths, its own
    /// variables), joined before the job's own values in <paramref name="existing"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> VariablesFor(string name, IReadOnlyDictionary<string, string> existing)
    {
        var mountPath = TemplateMountPath(name);
        var variables = Descriptors.TryGetValue(name, out var descriptor)
            ? new Dictionary<string, string>(descriptor.VariablesAt(mountPath, existing), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        variables["SANDRUN_ENVIRONMENT"] = mountPath;
        return variables;
    }

    /// <summary>Environment templates: name → read-only host directory.</summary>
    public IReadOnlyDictionary<string, string> Templates { get; }

    /// <summary>Interpreters the sandbox can run, in <see cref="Manifest.Interpreters.All"/> order.</summary>
    public IReadOnlyList<string> Interpreters { get; }

    /// <summary>Where a template appears inside the sandbox.</summary>
    public static string TemplateMountPath(string name) => "/opt/sandrun/environments/" + name;
}
