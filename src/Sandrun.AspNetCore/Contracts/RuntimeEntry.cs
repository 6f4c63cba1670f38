using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary>One language of <c>GET /runtimes</c> (SPEC.md §9), also the element of Piston's <c>GET /api/v2/runtimes</c>.</summary>
/// <param name="Language">The language's name, as <c>/execute</c> and Piston requests take it.</param>
/// <param name="Version">The interpreter's version, probed on this host at start.</param>
/// <param name="Aliases">Other names the language is accepted by.</param>
/// <param name="Interpreter">The manifest interpreter that runs it.</param>
/// <param name="Runtime">The same interpreter, under Piston's field name.</param>
public sealed record RuntimeEntry(
    [property: JsonPropertyName("language")] string Language,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("aliases")] IReadOnlyList<string> Aliases,
    [property: JsonPropertyName("interpreter")] string Interpreter,
    [property: JsonPropertyName("runtime")] string Runtime);
