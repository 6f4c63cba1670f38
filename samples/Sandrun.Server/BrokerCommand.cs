using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Broker;

namespace Sandrun.Server;

/// <summary>
/// <c>broker --port N [--host ADDR] [--db FILE | --postgres CONNECTION_STRING]</c> (SPEC.md §8): the durable job queue
/// that nodes pull from. It runs no jobs itself, so it needs neither root nor a sandbox. The original broker's
/// environment variables are honoured: <c>BROKER_DB</c> (a SQLite file, or a PostgreSQL connection string),
/// <c>BROKER_PORT</c>, <c>RESULT_TTL</c> (seconds) and <c>NODE_TIMEOUT</c> (seconds a silent node keeps its leases).
/// </summary>
internal static class BrokerCommand
{
    public const string Usage = "broker usage: Sandrun.Server broker [--port N (8000)] [--host ADDR (127.0.0.1)] [--db FILE (./sandrun-broker.db) | --postgres CONNECTION_STRING]\n"
        + "                               [--Sandrun:Broker:Key value ...]\n"
        + "  environment: BROKER_DB (SQLite file or PostgreSQL connection string), BROKER_PORT, RESULT_TTL (seconds), NODE_TIMEOUT (seconds)";

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        var port = Environment.GetEnvironmentVariable("BROKER_PORT") is { Length: > 0 } envPort ? ParsePort(envPort, "BROKER_PORT") : 8000;
        if (Environment.GetEnvironmentVariable("BROKER_DB") is { Length: > 0 } database)
        {
            settings[IsConnectionString(database) ? "Sandrun:Broker:Postgres" : "Sandrun:Broker:Database"] = database;
        }

        if (Environment.GetEnvironmentVariable("RESULT_TTL") is { Length: > 0 } ttl)
        {
            settings["Sandrun:Broker:ResultTtl"] = TimeSpan.FromSeconds(ParseSeconds(ttl, "RESULT_TTL")).ToString("c", CultureInfo.InvariantCulture);
        }

        if (Environment.GetEnvironmentVariable("NODE_TIMEOUT") is { Length: > 0 } nodeTimeout)
        {
            settings["Sandrun:Broker:LeaseSeconds"] = ParseSeconds(nodeTimeout, "NODE_TIMEOUT").ToString(CultureInfo.InvariantCulture);
        }

        var host = "127.0.0.1";
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port":
                    port = ParsePort(value, "--port");
                    i++;
                    break;
                case "--host":
                    host = value ?? throw new UsageException("--host needs an address");
                    i++;
                    break;
                case "--db":
                    settings["Sandrun:Broker:Database"] = value ?? throw new UsageException("--db needs a file");
                    settings.Remove("Sandrun:Broker:Postgres");
                    i++;
                    break;
                case "--postgres":
                    settings["Sandrun:Broker:Postgres"] = value ?? throw new UsageException("--postgres needs a connection string");
                    i++;
                    break;
                default:
                    if (!args[i].StartsWith("--", StringComparison.Ordinal) || value is null)
                    {
                        throw new UsageException($"unknown option '{args[i]}'\n{Usage}");
                    }

                    rest.Add(args[i]);
                    rest.Add(value);
                    i++;
                    break;
            }
        }

        if (args.Contains("--db") && args.Contains("--postgres"))
        {
            throw new UsageException("--db and --postgres exclude each other");
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. rest], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);

        // Command-line --Key value pairs win over the environment's and the defaults.
        builder.Configuration.AddCommandLine([.. rest]);
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}"));
        builder.Services.AddSandrunBroker(builder.Configuration);
        await using var app = builder.Build();
        app.MapSandrunBroker();
        app.MapFallback("{**path}", (HttpContext context) => TypedResults.Json(
            new ErrorResponse("not found", $"no endpoint {context.Request.Method} {context.Request.Path}"), SandrunJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status404NotFound));
        await app.StartAsync().ConfigureAwait(false);
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<BrokerOptions>>().Value;
        foreach (var address in app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            Console.WriteLine($"listening on {address}");
        }

        Console.WriteLine(string.IsNullOrWhiteSpace(options.Postgres)
            ? $"broker mode: SQLite store {Path.GetFullPath(options.Database)}; lease {options.LeaseSeconds} s, {options.MaxAttempts} attempts, results kept {options.ResultTtl}"
            : $"broker mode: PostgreSQL store; lease {options.LeaseSeconds} s, {options.MaxAttempts} attempts, results kept {options.ResultTtl}");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>A PostgreSQL connection string (<c>Host=…;Database=…</c>) rather than a file name.</summary>
    private static bool IsConnectionString(string value) =>
        value.Contains('=', StringComparison.Ordinal) && value.Contains("host", StringComparison.OrdinalIgnoreCase);

    private static int ParsePort(string? value, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536 ? p : throw new UsageException($"{name} needs a number from 1 to 65535");

    private static int ParseSeconds(string value, string name) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : throw new UsageException($"{name} needs a positive number of seconds");
}
