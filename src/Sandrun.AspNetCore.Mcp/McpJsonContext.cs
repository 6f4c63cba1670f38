using System.Text.Json.Serialization;
using Sandrun.AspNetCore.Contracts;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>
/// Source-generated serialization of what the tools return and send (no reflection: trimming safe). Tool results are
/// dictionaries of plain values; every value type they hold is listed here.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<Dictionary<string, object>>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(WorkerMetadata))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(int?))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
internal sealed partial class McpJsonContext : JsonSerializerContext;
