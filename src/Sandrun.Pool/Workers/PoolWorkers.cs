using System.Globalization;
using Microsoft.Extensions.Options;

namespace Sandrun.Pool.Workers;

/// <summary>The listed workers (configuration first, then <c>WorkersFile</c>), checked when the pool starts.</summary>
public sealed class PoolWorkers
{
    private readonly Dictionary<string, PoolWorker> byDestination;

    /// <summary>Loads and checks the worker list.</summary>
    /// <exception cref="WorkerListException">The list is unusable; the message names the entry.</exception>
    public PoolWorkers(IOptions<PoolOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configured = options.Value.Workers.ToList();
        WorkerListRules.Check(configured, i => $"Sandrun:Pool:Workers:{i}");
        var listed = new List<PoolWorkerOptions>(configured);
        if (options.Value.WorkersFile is { Length: > 0 } file)
        {
            listed.AddRange(WorkerListFile.Load(file));
        }

        WorkerListRules.Check(listed, i => i < configured.Count ? $"Sandrun:Pool:Workers:{i}" : $"'{options.Value.WorkersFile}' entry {i - configured.Count}");
        if (listed.Count == 0)
        {
            throw new WorkerListException("the pool has no workers: list them in a workers.json file (Sandrun:Pool:WorkersFile, the pool verb's --workers FILE) or in Sandrun:Pool:Workers");
        }

        All = [.. listed.Select((w, i) => new PoolWorker(string.Create(CultureInfo.InvariantCulture, $"worker-{i}"), w, i))];
        byDestination = All.ToDictionary(w => w.DestinationId, StringComparer.Ordinal);
    }

    /// <summary>Every listed worker, in list order.</summary>
    public IReadOnlyList<PoolWorker> All { get; }

    /// <summary>The worker behind a YARP destination id, or null.</summary>
    public PoolWorker? ByDestination(string destinationId) => byDestination.GetValueOrDefault(destinationId);

    /// <summary>The worker with the listed key <paramref name="workerId"/>, or null.</summary>
    public PoolWorker? ByWorkerId(string workerId) => All.FirstOrDefault(w => w.WorkerId == workerId);

    /// <summary>Usable workers below their limit, fewest active jobs first (list order on ties): the placement order of SPEC.md §7.</summary>
    public IReadOnlyList<PoolWorker> Candidates() =>
        [.. All.Where(w => w.Usable && w.ActiveJobs < w.MaxConcurrentJobs).OrderBy(w => w.ActiveJobs).ThenBy(w => w.Order)];
}
