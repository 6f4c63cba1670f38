using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandrun.EnvironmentTemplates;

/// <summary>
/// What a built environment template holds and what a job needs to use it, stored as
/// <see cref="FileName"/> at the template's root by <c>Sandrun.Server environments build</c>. Paths are relative
/// to the template's root, which a job sees read-only at <c>/opt/sandrun/environments/NAME</c>.
/// </summary>
/// <param name="Name">The template's name, as manifests give it in <c>environment</c>.</param>
/// <param name="Description">What the template is for.</param>
/// <param name="Source">How it was built: <c>debian</c> or <c>wheels</c>.</param>
/// <param name="PythonPath">Directories to put on <c>PYTHONPATH</c>.</param>
/// <param name="LibraryPath">Directories holding shared libraries the packages load (<c>LD_LIBRARY_PATH</c>).</param>
/// <param name="Variables">Further variables every job of the template gets (e.g. <c>MPLBACKEND=Agg</c>).</param>
/// <param name="Packages">The Python distributions the template holds, with their versions.</param>
public sealed record EnvironmentDescriptor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("python_path")] IReadOnlyList<string> PythonPath,
    [property: JsonPropertyName("library_path")] IReadOnlyList<string> LibraryPath,
    [property: JsonPropertyName("variables")] IReadOnlyDictionary<string, string> Variables,
    [property: JsonPropertyName("packages")] IReadOnlyList<EnvironmentPackage> Packages)
{
    /// <summary>The descriptor's file name at a template's root.</summary>
    public const string FileName = "sandrun-environment.json";

    /// <summary>Reads and checks the descriptor of the template at <paramref name="templateDirectory"/>; null when it has none.</summary>
    /// <exception cref="InvalidDataException">The descriptor is malformed or names a path outside the template.</exception>
    public static EnvironmentDescriptor? Read(string templateDirectory)
    {
        var path = Path.Combine(templateDirectory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        EnvironmentDescriptor? descriptor;
        try
        {
            descriptor = JsonSerializer.Deserialize(File.ReadAllBytes(path), EnvironmentJsonContext.Default.EnvironmentDescriptor);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        if (descriptor is null)
        {
            throw new InvalidDataException($"{path}: empty descriptor");
        }

        foreach (var relative in descriptor.PythonPath.Concat(descriptor.LibraryPath))
        {
            if (!IsInside(relative))
            {
                throw new InvalidDataException($"{path}: '{relative}' is not a relative path inside the template");
            }
        }

        return descriptor;
    }

    /// <summary>Writes the descriptor into <paramref name="templateDirectory"/>.</summary>
    public void Write(string templateDirectory) =>
        File.WriteAllBytes(Path.Combine(templateDirectory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, EnvironmentJsonContext.Default.EnvironmentDescriptor));

    /// <summary>The variables a job of this template gets, its paths rooted at <paramref name="mountPath"/>, joined before <paramref name="existing"/> values.</summary>
    public IReadOnlyDictionary<string, string> VariablesAt(string mountPath, IReadOnlyDictionary<string, string> existing)
    {
        ArgumentNullException.ThrowIfNull(existing);
        var result = new Dictionary<string, string>(Variables, StringComparer.Ordinal);
        Prepend(result, existing, "PYTHONPATH", PythonPath, mountPath);
        Prepend(result, existing, "LD_LIBRARY_PATH", LibraryPath, mountPath);
        return result;
    }

    private static void Prepend(Dictionary<string, string> result, IReadOnlyDictionary<string, string> existing, string name, IReadOnlyList<string> dirs, string mountPath)
    {
        if (dirs.Count == 0)
        {
            return;
        }

        var joined = string.Join(':', dirs.Select(d => mountPath + "/" + d));
        result[name] = existing.TryGetValue(name, out var own) && own.Length > 0 ? joined + ":" + own : joined;
    }

    private static bool IsInside(string relative) =>
        relative.Length > 0 && !relative.StartsWith('/') && !relative.Contains(':', StringComparison.Ordinal)
        && relative.Split('/').All(part => part is not ("" or "." or ".."));
}

/// <summary>One Python distribution in a template.</summary>
/// <param name="Name">Its name (e.g. <c>numpy</c>).</param>
/// <param name="Version">Its version (e.g. <c>1.24.2</c>).</param>
public sealed record EnvironmentPackage(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version);

/// <summary>Source-generated serialization of <see cref="EnvironmentDescriptor"/>.</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(EnvironmentDescriptor))]
internal sealed partial class EnvironmentJsonContext : JsonSerializerContext;
