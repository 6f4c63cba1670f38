using Microsoft.Extensions.DependencyInjection;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Broker.Api;
using Sandrun.Broker.Contracts;
using Sandrun.Broker.Storage;

namespace Sandrun.Broker;

/// <summary>Maps the broker's HTTP API (SPEC.md §8) onto an ASP.NET Core app.</summary>
public static class BrokerEndpoints
{
    /// <summary>
    /// Maps below <paramref name="prefix"/> the client API — <c>POST /submit</c> (the §2 multipart form, or JSON
    /// <c>{"code","interpreter","args"}</c>), <c>GET /status/{id}</c>, <c>GET /results/{id}</c>, <c>GET /download/{id}</c>,
    /// <c>GET /nodes</c>, <c>GET /health</c> — and the node protocol: <c>POST /register</c>, <c>POST /claim</c>,
    /// <c>GET /input/{id}</c>, <c>POST /heartbeat</c>, <c>POST /complete</c>. Needs <c>AddSandrunBroker()</c>.
    /// </summary>
    public static RouteGroupBuilder MapSandrunBroker(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        if (endpoints.ServiceProvider.GetService<IBrokerStore>() is null)
        {
            throw new InvalidOperationException("MapSandrunBroker() needs the broker's services: builder.Services.AddSandrunBroker(builder.Configuration) before builder.Build().");
        }

        var group = endpoints.MapGroup(prefix).WithTags("Sandrun broker").AddEndpointFilter(StoreFailures.FilterAsync);
        group.MapPost("/submit", ClientEndpoints.SubmitAsync).DisableAntiforgery()
            .WithName("BrokerSubmit").WithSummary("Submit a job to the durable queue")
            .Produces<BrokerSubmitResponse>().Produces<ErrorResponse>(StatusCodes.Status400BadRequest).Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge);
        group.MapGet("/status/{jobId}", ClientEndpoints.StatusAsync)
            .WithName("BrokerStatus").WithSummary("A job's status, attempts, node and signed receipt").Produces<BrokerStatusResponse>().Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        group.MapGet("/results/{jobId}", ClientEndpoints.ResultsAsync)
            .WithName("BrokerResults").WithSummary("A job's result: 202 until it has ended")
            .Produces<BrokerResultsResponse>().Produces<BrokerPendingResponse>(StatusCodes.Status202Accepted).Produces<ErrorResponse>(StatusCodes.Status404NotFound);
        group.MapGet("/download/{jobId}", ClientEndpoints.DownloadAsync)
            .WithName("BrokerDownload").WithSummary("A job's output files as <job_id>.tar.gz").Produces<Stream>(contentType: "application/gzip");
        group.MapGet("/nodes", ClientEndpoints.NodesAsync).WithName("BrokerNodes").WithSummary("Registered nodes").Produces<BrokerNodesResponse>();
        group.MapGet("/health", ClientEndpoints.HealthAsync).WithName("BrokerHealth").WithSummary("The broker and its store answer").Produces<BrokerHealthResponse>();

        group.MapPost("/register", NodeEndpoints.RegisterAsync).WithName("BrokerRegister").WithSummary("Register a node: get a challenge, then prove the key");
        group.MapPost("/claim", NodeEndpoints.ClaimAsync).WithName("BrokerClaim").WithSummary("Long-poll for a job and its lease").Produces<ClaimResponse>();
        group.MapGet("/input/{jobId}", NodeEndpoints.InputAsync).WithName("BrokerInput").WithSummary("A claimed job's input archive");
        group.MapPost("/heartbeat", NodeEndpoints.HeartbeatAsync).WithName("BrokerHeartbeat").WithSummary("Renew a lease").Produces<HeartbeatResponse>();
        group.MapPost("/complete", NodeEndpoints.CompleteAsync).DisableAntiforgery().WithName("BrokerComplete").WithSummary("Report a result, fenced by the lease token")
            .Produces<CompleteResponse>();
        return group;
    }
}
