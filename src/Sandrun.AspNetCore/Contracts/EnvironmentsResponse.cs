using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary><c>GET /environments</c>: environment templates and the interpreters this host can run.</summary>
/// <param name="Environments">Templates a manifest may name in <c>environment</c>.</param>
/// <param name="Interpreters">Interpreters a manifest may name in <c>interpreter</c>.</param>
public sealed record EnvironmentsResponse(
    [property: JsonPropertyName("environments")] IReadOnlyList<EnvironmentTemplate> Environments,
    [property: JsonPropertyName("interpreters")] IReadOnlyList<string> Interpreters);

/// <summary>One environment template.</summary>
/// <param name="Name">The name a manifest uses.</param>
/// <param name="MountPath">Where it appears in the sandbox (also <c>$SANDRUN_ENVIRONMENT</c>).</param>
/// <param name="Description">What it is for; null for a hand-made template.</param>
/// <param name="Packages">The Python distributions it holds with their versions; empty for a hand-made template.</param>
public sealed record EnvironmentTemplate(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("mount_path")] string MountPath,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("packages")] IReadOnlyList<EnvironmentPackageEntry> Packages);

/// <summary>One Python distribution in a template.</summary>
/// <param name="Name">Its name (e.g. <c>numpy</c>).</param>
/// <param name="Version">Its version.</param>
public sealed record EnvironmentPackageEntry(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version);
