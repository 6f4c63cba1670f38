using System.Text.Json.Serialization;
using Sandrun.AspNetCore.Contracts;

namespace Sandrun.Broker.Contracts;

/// <summary>Source-generated serialization of the broker's wire types (field names exact, nulls written).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BrokerSubmitResponse))]
[JsonSerializable(typeof(BrokerStatusResponse))]
[JsonSerializable(typeof(BrokerResultsResponse))]
[JsonSerializable(typeof(BrokerPendingResponse))]
[JsonSerializable(typeof(BrokerNodesResponse))]
[JsonSerializable(typeof(BrokerHealthResponse))]
[JsonSerializable(typeof(StoredResultDetail))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(RegisterChallengeResponse))]
[JsonSerializable(typeof(RegisterResponse))]
[JsonSerializable(typeof(ClaimRequest))]
[JsonSerializable(typeof(ClaimResponse))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(CompletionReport))]
[JsonSerializable(typeof(CompleteResponse))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class BrokerJsonContext : JsonSerializerContext;
