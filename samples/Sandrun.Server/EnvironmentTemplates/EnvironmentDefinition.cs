using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Sandrun.Server.EnvironmentTemplates;

/// <summary>
/// What a template promises: the Debian packages or wheels it is built from, the modules a job can import, and
/// variables its jobs get. The four shipped ones live in <c>environments/NAME.json</c> beside the server.
/// <c>debian_links</c> adds symlinks (path → target, both relative to the template) where a Debian package finds
/// its data by a fixed host path (matplotlib's mpl-data) and would miss it in a template. In <c>variables</c>,
/// <c>{template}</c> stands for the directory where jobs see the template.
/// </summary>
internal sealed partial record EnvironmentDefinition(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("debian")] IReadOnlyList<string> Debian,
    [property: JsonPropertyName("pip")] IReadOnlyList<string> Pip,
    [property: JsonPropertyName("imports")] IReadOnlyList<string> Imports,
    [property: JsonPropertyName("variables")] IReadOnlyDictionary<string, string> Variables,
    [property: JsonPropertyName("debian_links")] IReadOnlyDictionary<string, string>? DebianLinks)
{
    public static IReadOnlyList<string> Shipped { get; } = ["ml-basic", "vision", "nlp", "data-science"];

    public static string ShippedDirectory => Path.Combine(AppContext.BaseDirectory, "environments");

    /// <summary>A shipped definition by name.</summary>
    public static EnvironmentDefinition LoadShipped(string name) => Shipped.Contains(name, StringComparer.Ordinal)
        ? Load(Path.Combine(ShippedDirectory, name + ".json"))
        : throw new UsageException($"unknown environment '{name}' (known: {string.Join(", ", Shipped)}; or give --definition FILE)");

    /// <summary>Reads and checks a definition file; every problem names the file and the field.</summary>
    public static EnvironmentDefinition Load(string path)
    {
        EnvironmentDefinition? definition;
        try
        {
            definition = JsonSerializer.Deserialize(File.ReadAllBytes(path), DefinitionJsonContext.Default.EnvironmentDefinition);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: {e.Message}");
        }

        if (definition is null)
        {
            throw new UsageException($"{path}: empty definition");
        }

        Check(path, "name", definition.Name, TemplateName());
        foreach (var package in definition.Debian ?? [])
        {
            Check(path, "debian", package, DebianPackage());
        }

        foreach (var requirement in definition.Pip ?? [])
        {
            Check(path, "pip", requirement, PipRequirement());
        }

        foreach (var module in definition.Imports ?? [])
        {
            Check(path, "imports", module, ModuleName());
        }

        foreach (var name in (definition.Variables ?? new Dictionary<string, string>()).Keys)
        {
            Check(path, "variables", name, VariableName());
        }

        foreach (var (link, target) in definition.DebianLinks ?? new Dictionary<string, string>())
        {
            Check(path, "debian_links", link, RelativePath());
            Check(path, "debian_links", target, RelativePath());
        }

        return definition with
        {
            Debian = definition.Debian ?? [],
            Pip = definition.Pip ?? [],
            Imports = definition.Imports ?? [],
            Variables = definition.Variables ?? new Dictionary<string, string>(),
            Description = definition.Description ?? "",
            DebianLinks = definition.DebianLinks ?? new Dictionary<string, string>(),
        };
    }

    private static void Check(string path, string field, string? value, Regex pattern)
    {
        if (value is null || !pattern.IsMatch(value))
        {
            throw new UsageException($"{path}: {field}: '{value}' is not a valid value");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex TemplateName();

    [GeneratedRegex("^[a-z0-9][a-z0-9+.-]+$")]
    private static partial Regex DebianPackage();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*(==[A-Za-z0-9.+!-]+)?$")]
    private static partial Regex PipRequirement();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex ModuleName();

    [GeneratedRegex(@"^(?!.*(^|/)\.\.?(/|$))[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*$")]
    private static partial Regex RelativePath();

    [GeneratedRegex("^[A-Z_][A-Z0-9_]*$")]
    private static partial Regex VariableName();
}

[JsonSerializable(typeof(EnvironmentDefinition))]
internal sealed partial class DefinitionJsonContext : JsonSerializerContext;
