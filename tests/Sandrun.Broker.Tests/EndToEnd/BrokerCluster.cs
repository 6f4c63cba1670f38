using System.Net.Http.Json;
using System.Text;
using Sandrun.Broker.Contracts;

namespace Sandrun.Broker.Tests.EndToEnd;

/// <summary>
/// Brokers and worker nodes as real processes of the sample server, in a temp directory, with a client for each
/// broker. Everything it starts is SIGKILLed at disposal.
/// </summary>
internal sealed class BrokerCluster : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private readonly List<ServerProcess> processes = [];

    public BrokerCluster()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("sandrun-broker-e2e-").FullName;
    }

    public string Directory { get; }

    /// <summary>Starts a broker (extra arguments as given: --db, --postgres, --Sandrun:Broker:Key value) and waits until it answers.</summary>
    public Task<(ServerProcess Process, HttpClient Client)> StartBrokerAsync(int port, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartBrokerProcessAsync(port, environment, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args]);

    /// <summary>Starts a broker given only <paramref name="args"/> (the port may come from the environment's BROKER_PORT) and waits until it answers on <paramref name="port"/>.</summary>
    public async Task<(ServerProcess Process, HttpClient Client)> StartBrokerProcessAsync(int port, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var broker = Track(ServerProcess.Start("broker", Directory, environment, ["broker", .. args]));
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
        await WaitUntilAsync(async () =>
        {
            try
            {
                using var health = await client.GetAsync("health");
                return health.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, broker);
        return (broker, client);
    }

    /// <summary>Starts a worker node of <paramref name="brokerPort"/>'s broker and waits until the broker lists it.</summary>
    public async Task<ServerProcess> StartWorkerAsync(HttpClient broker, int brokerPort, int slots, params string[] args)
    {
        var before = (await NodesAsync(broker)).Count;
        var worker = Track(ServerProcess.Start("worker", Directory, null,
            ["worker", "--broker", $"http://127.0.0.1:{brokerPort}/", "--slots", slots.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args]));
        await WaitUntilAsync(async () => (await NodesAsync(broker)).Count > before, worker);
        return worker;
    }

    public static async Task<IReadOnlyList<BrokerNodeEntry>> NodesAsync(HttpClient broker) =>
        (await broker.GetFromJsonAsync("nodes", BrokerJsonContext.Default.BrokerNodesResponse))!.Nodes;

    /// <summary>Submits <c>main.py</c> with <paramref name="code"/> as the original broker's JSON form.</summary>
    public static async Task<string> SubmitAsync(HttpClient broker, string code)
    {
        var body = System.Text.Json.Nodes.JsonValue.Create(code).ToJsonString();
        using var response = await broker.PostAsync("submit", new StringContent($"{{\"code\": {body}, \"interpreter\": \"python3\"}}", Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerSubmitResponse))!.JobId;
    }

    /// <summary>Waits until the job has ended and returns its results.</summary>
    public async Task<BrokerResultsResponse> ResultsAsync(HttpClient broker, string jobId)
    {
        BrokerResultsResponse? results = null;
        await WaitUntilAsync(async () =>
        {
            using var response = await broker.GetAsync($"results/{jobId}");
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                return false;
            }

            results = await response.Content.ReadFromJsonAsync(BrokerJsonContext.Default.BrokerResultsResponse);
            return true;
        });
        return results!;
    }

    public static async Task<BrokerStatusResponse> StatusAsync(HttpClient broker, string jobId) =>
        (await broker.GetFromJsonAsync($"status/{jobId}", BrokerJsonContext.Default.BrokerStatusResponse))!;

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with every process's output when patience runs out or <paramref name="watched"/> died.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, ServerProcess? watched = null)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || watched?.HasExited == true)
            {
                Assert.Fail($"gave up waiting{(watched?.HasExited == true ? $" ({watched.Name} exited)" : "")}\n{Outputs()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Runs the sample server with <paramref name="args"/> to its exit; its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunToExitAsync(params string[] args)
    {
        using var process = Track(ServerProcess.Start("command", Directory, null, args));
        await WaitUntilAsync(() => Task.FromResult(process.HasExited));
        return (process.ExitCode, process.Output);
    }

    public string Outputs() => string.Join("\n", processes.Select(p => $"--- {p.Name} ---\n{(p.Output.Length > 8000 ? p.Output[^8000..] : p.Output)}"));

    public void Dispose()
    {
        foreach (var process in processes)
        {
            process.Dispose();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private ServerProcess Track(ServerProcess process)
    {
        processes.Add(process);
        return process;
    }
}
