using System.Text.Json.Serialization;

namespace Sandrun.Pool.Contracts;

/// <summary>Source-generated serialization of the pool's own responses.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PoolView))]
public sealed partial class PoolJsonContext : JsonSerializerContext;
