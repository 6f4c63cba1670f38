using Microsoft.Extensions.DependencyInjection;
using Sandrun.Pool.Api;
using Sandrun.Pool.Proxy;
using Sandrun.Pool.Workers;

namespace Sandrun.Pool;

/// <summary>Maps the pool coordinator: every SPEC.md §2 endpoint, served by the pool's workers, plus <c>GET /pool</c>.</summary>
public static class PoolEndpoints
{
    /// <summary>
    /// Maps the pool below <paramref name="prefix"/> ("" = the root) and returns its route group. Submit, status,
    /// outputs, stats, health, environments and <c>/pool</c> are the pool's own endpoints; logs, both WebSocket
    /// streams and both downloads are forwarded by YARP to the job's worker (this calls <c>MapReverseProxy</c>, once
    /// per app). Needs <c>AddSandrunPool()</c>, and in the app's pipeline <c>app.UseWebSockets()</c> and <c>app.UseCors()</c>.
    /// </summary>
    public static RouteGroupBuilder MapSandrunPool(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var routes = endpoints.ServiceProvider.GetService<PoolRoutes>()
            ?? throw new InvalidOperationException("MapSandrunPool() needs builder.Services.AddSandrunPool(builder.Configuration) before builder.Build().");
        if (routes.Mapped)
        {
            throw new InvalidOperationException("MapSandrunPool() can be mapped once per app.");
        }

        routes.Prefix = prefix.Trim('/').Length > 0 ? "/" + prefix.Trim('/') : "";
        routes.Mapped = true;

        var group = endpoints.MapGroup(routes.Prefix);
        var api = group.MapGroup("").RequireCors(PoolRoutes.CorsPolicy).WithTags("Sandrun pool");
        api.MapGet("/", (HttpContext c, PoolWorkers w, WorkerClient client, Sandrun.AspNetCore.SandrunClientAddress a) => PoolInfoEndpoints.FromAWorkerAsync(c, "", w, client, a)).WithOrder(1);
        api.MapPost("/submit", PoolSubmitEndpoint.PostAsync).DisableAntiforgery();
        api.MapGet("/status/{jobId}", PoolStatusEndpoint.GetAsync);
        api.MapGet("/outputs/{jobId}", PoolOutputsEndpoint.GetAsync);
        api.MapGet("/stats", PoolInfoEndpoints.Stats);
        api.MapGet("/environments", (HttpContext c, PoolWorkers w, WorkerClient client, Sandrun.AspNetCore.SandrunClientAddress a) => PoolInfoEndpoints.FromAWorkerAsync(c, "environments", w, client, a));
        api.MapGet("/health", PoolInfoEndpoints.Health);
        api.MapGet("/pool", PoolInfoEndpoints.Pool);
        if (routes.Prefix.Length > 0)
        {
            api.Map("/{**path}", (HttpContext context) => PoolJson.Error(StatusCodes.Status404NotFound, "not found", $"no endpoint {context.Request.Method} {context.Request.Path}"))
                .WithOrder(int.MaxValue);
        }

        endpoints.MapReverseProxy(proxy =>
        {
            proxy.Use(JobRouting.InvokeAsync);
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return group;
    }
}
