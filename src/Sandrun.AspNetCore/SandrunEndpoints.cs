using Microsoft.Extensions.DependencyInjection;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Api;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore;

/// <summary>Maps the Sandrun HTTP API (SPEC.md §2) onto an ASP.NET Core app.</summary>
public static class SandrunEndpoints
{
    /// <summary>
    /// Maps the Sandrun endpoints below <paramref name="prefix"/> ("" = the root) on a route group and returns it, so
    /// conventions the app applies to the group (<c>RequireHost</c>, <c>RequireAuthorization</c>, rate limiting, …)
    /// reach every Sandrun endpoint; map MCP on the same group (<c>MapSandrunMcp()</c>, package Sandrun.AspNetCore.Mcp).
    /// Needs <c>AddSandrun()</c> with a sandbox and <c>AddSandrunApi()</c> (it throws naming what is missing), and in the
    /// app's pipeline <c>app.UseCors()</c> (the endpoints' named policy answers <c>Access-Control-Allow-Origin: *</c>
    /// and preflights) and <c>app.UseWebSockets()</c> (live log streaming).
    /// Only Sandrun's own routes are mapped: below a non-empty prefix unknown paths get SPEC.md's JSON 404; at "" the
    /// app's 404s and preflights stay the app's, and the service information at <c>GET /</c> yields to an endpoint
    /// the app maps at <c>/</c> itself.
    /// </summary>
    public static RouteGroupBuilder MapSandrun(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        RequireServices(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(prefix);

        // An inner group, so the REST policy and error handling do not reach what the app maps on the returned group.
        var api = group.MapGroup("").RequireCors(SandrunCors.Api).AddEndpointFilter(UnhandledErrors.FilterAsync).WithTags("Sandrun");

        // Order 1: an endpoint the app maps at the same path (order 0) wins instead of being ambiguous.
        api.MapGet("/", ServiceInfoEndpoint.Get).WithOrder(1)
            .Describe("SandrunServiceInfo", "Service information, privacy promise and limits").Produces<ServiceInfo>();
        api.MapPost("/submit", SubmitEndpoint.PostAsync).DisableAntiforgery()
            .Describe("SandrunSubmit", "Submit a job: files (archives are extracted) and a manifest")
            .Accepts<SubmitForm>("multipart/form-data")
            .Produces<SubmitResponse>()
            .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);

        // Accepts() documents the multipart body, but routing would then answer other content types with an empty 415;
        // this undocumented twin takes them to the same handler, which refuses them with SPEC.md's JSON 400.
        api.MapPost("/submit", SubmitEndpoint.PostAsync).DisableAntiforgery().WithOrder(1).ExcludeFromDescription();
        api.MapGet("/status/{jobId}", StatusEndpoint.Get)
            .Describe("SandrunStatus", "A job's status, measurements, output files and signed receipt; ?wait=S answers when the job ends or after S seconds").Produces<StatusResponse>().Errors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
        api.MapGet("/logs/{jobId}", LogsEndpoint.Get)
            .Describe("SandrunLogs", "A job's output so far: JSON with each stream on its own, or text/plain with both interleaved (?format=text or Accept: text/plain)")
            .Produces<LogsResponse>().Errors(StatusCodes.Status404NotFound);
        MapStream(api, "/logs/{jobId}/stream", "SandrunLogStream");
        MapStream(api, "/stream/{jobId}", "SandrunStream");
        api.MapGet("/logs/{jobId}/events", (HttpContext context, string jobId, JobEngine engine) => LogEvents.StreamAsync(context, engine, jobId))
            .Describe("SandrunLogEvents", "Server-sent events: a job's output live (event stdout/stderr), then event done with status and exit code")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").Errors(StatusCodes.Status404NotFound);
        api.MapGet("/outputs/{jobId}", OutputsEndpoint.Get)
            .Describe("SandrunOutputs", "A job's output files with download URLs").Produces<OutputsResponse>().Errors(StatusCodes.Status404NotFound);
        api.MapGet("/download/{jobId}/{**path}", (HttpContext context, string jobId, string path, JobEngine engine) => Downloads.OneAsync(context, engine, jobId, path))
            .Describe("SandrunDownloadFile", "One output file").Produces<Stream>(contentType: "application/octet-stream").Errors(StatusCodes.Status404NotFound);
        api.MapGet("/download/{jobId}", (HttpContext context, string jobId, JobEngine engine) => Downloads.AllAsync(context, engine, jobId))
            .Describe("SandrunDownloadAll", "All output files as <job_id>.tar.gz; the job is deleted after a complete transfer")
            .Produces<Stream>(contentType: "application/gzip").Errors(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        api.MapGet("/stats", StatsEndpoint.Get)
            .Describe("SandrunStats", "The caller's quota and the system's counters").Produces<StatsResponse>();
        api.MapGet("/environments", EnvironmentsEndpoint.Get)
            .Describe("SandrunEnvironments", "Environment templates and the interpreters this host can run").Produces<EnvironmentsResponse>();
        api.MapPost("/execute", ExecuteEndpoint.PostAsync).DisableAntiforgery()
            .Describe("SandrunExecute", "Run code in one call: JSON in ({language, code | files, args, stdin, env, limits, wait}), the result out; 202 when the wait ends first")
            .Produces<ExecuteResponse>().Produces<ExecuteResponse>(StatusCodes.Status202Accepted)
            .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status429TooManyRequests, StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/runtimes", RuntimesEndpoint.GetAsync)
            .Describe("SandrunRuntimes", "The languages this host runs, with versions probed at start, aliases and interpreters").Produces<IReadOnlyList<RuntimeEntry>>();
        api.MapGet("/api/v2/runtimes", PistonEndpoints.RuntimesAsync)
            .Describe("SandrunPistonRuntimes", "Piston v2 compatibility: the runtimes list").Produces<IReadOnlyList<RuntimeEntry>>();
        api.MapPost("/api/v2/execute", PistonEndpoints.ExecuteAsync).DisableAntiforgery()
            .Describe("SandrunPistonExecute", "Piston v2 compatibility: run files with stdin and args, Piston's request and response shapes")
            .Produces<PistonExecuteResponse>().Produces<PistonError>(StatusCodes.Status400BadRequest).Produces<PistonError>(StatusCodes.Status429TooManyRequests);
        api.MapGet("/health", HealthEndpoint.GetAsync)
            .Describe("SandrunHealth", "Whether jobs can run here (503 with the reason when not)")
            .Produces<HealthResponse>().Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

        if (prefix.Trim('/').Length > 0)
        {
            // Only below a prefix: at the root this would take over the app's own 404s.
            api.Map("/{**path}", (HttpContext context) => ApiJson.Error(StatusCodes.Status404NotFound, "not found", $"no endpoint {context.Request.Method} {Shorten(context.Request.Path.Value ?? "/")}"))
                .WithOrder(int.MaxValue).ExcludeFromDescription();
        }

        return group;
    }

    private static void MapStream(RouteGroupBuilder api, string pattern, string name) =>
        api.MapMethods(pattern, [HttpMethods.Get, HttpMethods.Connect], (HttpContext context, string jobId, JobEngine engine) => LogStreaming.StreamAsync(context, engine, jobId))
            .Describe(name, "WebSocket: a job's output live (text frames, or JSON with ?format=json), then [DONE] status exit=code")
            .Produces(StatusCodes.Status101SwitchingProtocols).Errors(StatusCodes.Status400BadRequest);

    private static RouteHandlerBuilder Describe(this RouteHandlerBuilder builder, string name, string summary) =>
        builder.WithName(name).WithSummary(summary);

    private static RouteHandlerBuilder Errors(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var status in statusCodes)
        {
            builder.Produces<ErrorResponse>(status);
        }

        return builder;
    }

    /// <summary>Fails at mapping, naming the missing registration, rather than on the first request.</summary>
    private static void RequireServices(IServiceProvider services)
    {
        var registered = services.GetRequiredService<IServiceProviderIsService>();
        var missing = new List<string>();
        if (!registered.IsService(typeof(JobEngine)))
        {
            missing.Add("the engine: builder.Services.AddSandrun(builder.Configuration)");
        }

        if (!registered.IsService(typeof(ISandbox)))
        {
            missing.Add("a sandbox: .UseLinuxSandbox(builder.Configuration) after AddSandrun (package Sandrun.Linux)");
        }

        if (!registered.IsService(typeof(SandrunClientAddress)))
        {
            missing.Add("the HTTP API's services: builder.Services.AddSandrunApi(builder.Configuration)");
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"MapSandrun() needs services that are not registered; before builder.Build(), add {string.Join("; ", missing)}.");
        }
    }

    private static string Shorten(string s) => s.Length <= 128 ? s : s[..128] + "…";
}
