using System.Globalization;
using Sandrun.Broker;
using Sandrun.Receipts;

namespace Sandrun.Server;

/// <summary>
/// <c>worker --broker URL [--worker-key FILE] [--slots N]</c> (SPEC.md §8): a node that pulls jobs from a broker, runs
/// them in this host's sandbox with its limits, and reports signed results. It listens on no port. Without a key it
/// signs with a fresh key for this run (the broker trusts the key the node proves at registration).
/// </summary>
internal static class WorkerCommand
{
    public const string Usage = "worker usage: Sandrun.Server worker --broker URL [--worker-key FILE] [--slots N (CPU count)] [--Sandrun:Key value ...]";

    public static async Task<int> RunAsync(string[] args)
    {
        string? broker = null;
        var slots = Environment.ProcessorCount;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--broker":
                    broker = value is not null && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                        ? value : throw new UsageException("--broker needs the broker's http(s) URL");
                    i++;
                    break;
                case "--slots":
                    slots = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1024
                        ? n : throw new UsageException("--slots needs a number from 1 to 1024");
                    i++;
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        if (broker is null)
        {
            throw new UsageException("worker needs --broker URL\n" + Usage);
        }

        var arguments = HostArguments.Parse([.. rest], listens: false);
        var (ok, signer) = await EngineSetup.PrepareAsync(arguments.KeyFile).ConfigureAwait(false);
        if (!ok)
        {
            return 1;
        }

        signer ??= Ed25519Signer.Generate();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });

        // A node's engine runs what the broker hands it: one engine worker per slot, and no per-client quotas (the
        // broker's clients are not this host's); both can still be set explicitly.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Sandrun:Workers"] = slots.ToString(CultureInfo.InvariantCulture),
            ["Sandrun:RateLimits:Enabled"] = "false",
            ["Sandrun:BrokerNode:Broker"] = broker,
            ["Sandrun:BrokerNode:Slots"] = slots.ToString(CultureInfo.InvariantCulture),
        });
        builder.Configuration.AddCommandLine([.. arguments.Configuration]);

        // Every claim is a long poll: HttpClient's per-request lines would drown the node's own.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        EngineSetup.AddEngine(builder.Services, builder.Configuration, signer);
        builder.Services.AddSandrunBrokerNode(builder.Configuration);
        using var host = builder.Build();
        EngineSetup.EnsureSandbox(host.Services, Console.Out);
        await host.StartAsync().ConfigureAwait(false);
        Console.WriteLine($"worker mode: node of {broker}, {slots} slots, Worker ID: {signer.WorkerId}" + (arguments.KeyFile is null ? " (a fresh key for this run)" : ""));
        await host.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }
}
