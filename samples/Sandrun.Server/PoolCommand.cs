using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Pool;
using Sandrun.Pool.Workers;

namespace Sandrun.Server;

/// <summary>
/// <c>pool --workers FILE [--port N] [--host ADDR]</c> (SPEC.md §7): one front door for the workers listed in FILE.
/// The banner lists each worker and whether it proved its key; a bad list exits 1 naming the entry.
/// </summary>
internal static class PoolCommand
{
    public const string Usage = "pool usage: Sandrun.Server pool --workers FILE [--port N (8443)] [--host ADDR (127.0.0.1)] [--urls URLS] [--Sandrun:Pool:Key value ...]\n"
        + "  FILE: [{\"worker_id\":\"<base64 Ed25519 public key>\",\"endpoint\":\"http://host:port\",\"max_concurrent_jobs\":4}]\n"
        + "  workers should trust the pool for client addresses: --Sandrun:RateLimits:TrustedProxies:0 <pool address>";

    public static async Task<int> RunAsync(string[] args)
    {
        var workersFile = args.Select((a, i) => (a, i)).Where(p => p.a == "--workers").Select(p => p.i + 1 < args.Length ? args[p.i + 1] : null).LastOrDefault();
        if (!args.Contains("--workers") || workersFile is null)
        {
            throw new UsageException("pool needs --workers FILE");
        }

        var rest = args.Where((a, i) => a != "--workers" && (i == 0 || args[i - 1] != "--workers")).ToArray();
        var arguments = HostArguments.Parse(rest, listens: true);
        if (arguments.KeyFile is not null)
        {
            throw new UsageException("pool signs nothing: --worker-key belongs to the workers");
        }

        try
        {
            WorkerListFile.Load(workersFile);
        }
        catch (WorkerListException e)
        {
            await Console.Error.WriteLineAsync("sandrun: " + e.Message).ConfigureAwait(false);
            return 1;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. arguments.Configuration], ContentRootPath = AppContext.BaseDirectory });
        if (!arguments.UrlsGiven)
        {
            var host = arguments.Host;
            builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{arguments.Port}"));
        }

        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Services.AddSandrunPool(builder.Configuration, o => o.WorkersFile = workersFile);
        await using var app = builder.Build();
        try
        {
            app.UseWebSockets();
            app.UseCors();
            app.MapSandrunPool();
            app.MapFallback("{**path}", (HttpContext context) => TypedResults.Json(
                new ErrorResponse("not found", $"no endpoint {context.Request.Method} {context.Request.Path}"),
                SandrunJsonContext.Default.ErrorResponse,
                statusCode: StatusCodes.Status404NotFound));
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is WorkerListException or OptionsValidationException)
        {
            await Console.Error.WriteLineAsync("sandrun: " + e.Message).ConfigureAwait(false);
            return 1;
        }

        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            Console.WriteLine($"listening on {address} (pool; GET /pool shows the workers)");
        }

        // The first probes run at start; the banner shows their outcome (or "not yet probed" for a slow worker).
        var workers = app.Services.GetRequiredService<PoolWorkers>();
        var timeout = app.Services.GetRequiredService<IOptions<PoolOptions>>().Value.HealthCheckTimeout + TimeSpan.FromSeconds(1);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (workers.All.Any(w => w.LastCheck is null) && waited.Elapsed < timeout)
        {
            await Task.Delay(50).ConfigureAwait(false);
        }

        Console.WriteLine($"pool of {workers.All.Count} workers:");
        foreach (var w in workers.All)
        {
            var state = w.LastCheck is null ? "not yet probed" : w.Usable ? "verified, healthy" : $"{(w.Verified ? "verified" : "NOT verified")}, {(w.Healthy ? "healthy" : "unhealthy")}: {w.LastError}";
            Console.WriteLine($"  {w.Endpoint.ToString().TrimEnd('/')}  {w.WorkerId}  max {w.MaxConcurrentJobs}  {state}");
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
