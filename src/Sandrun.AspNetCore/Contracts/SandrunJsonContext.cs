using System.Text.Json.Serialization;

namespace Sandrun.AspNetCore.Contracts;

/// <summary>
/// Source-generated serialization of every REST response (no reflection; trimming and AOT safe). Field names come
/// from the records' <see cref="JsonPropertyNameAttribute"/>s, so they are exact whatever the app's JSON options.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ServiceInfo))]
[JsonSerializable(typeof(SubmitResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(LogsResponse))]
[JsonSerializable(typeof(OutputsResponse))]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(EnvironmentsResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(StreamFrame))]
[JsonSerializable(typeof(DoneFrame))]
[JsonSerializable(typeof(DoneData))]
[JsonSerializable(typeof(ExecuteResponse))]
[JsonSerializable(typeof(IReadOnlyList<RuntimeEntry>))]
[JsonSerializable(typeof(PistonExecuteResponse))]
[JsonSerializable(typeof(PistonError))]
public sealed partial class SandrunJsonContext : JsonSerializerContext;
