using Sandrun.Receipts;

namespace Sandrun.Pool.Workers;

/// <summary>What every worker entry must satisfy, wherever it came from (workers.json or configuration).</summary>
public static class WorkerListRules
{
    /// <summary>Throws for the first wrong entry, named by <paramref name="nameOf"/>(index).</summary>
    /// <exception cref="WorkerListException">A bad key or endpoint, a limit below 1, or a duplicate worker id or endpoint.</exception>
    public static void Check(IReadOnlyList<PoolWorkerOptions> workers, Func<int, string> nameOf)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(nameOf);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var endpoints = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < workers.Count; i++)
        {
            var worker = workers[i];
            if (!WorkerChallenge.IsWorkerId(worker.WorkerId))
            {
                throw new WorkerListException($"{nameOf(i)}: worker_id '{worker.WorkerId}' is not an Ed25519 public key (standard Base64 of 32 bytes, as 'Sandrun.Server --generate-key' prints)");
            }

            if (!Uri.TryCreate(worker.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")
                || !string.IsNullOrEmpty(endpoint.Query) || !string.IsNullOrEmpty(endpoint.Fragment))
            {
                throw new WorkerListException($"{nameOf(i)}: endpoint '{worker.Endpoint}' is not an http:// or https:// URL");
            }

            if (worker.MaxConcurrentJobs < 1)
            {
                throw new WorkerListException($"{nameOf(i)}: max_concurrent_jobs must be at least 1 (was {worker.MaxConcurrentJobs})");
            }

            if (!ids.TryAdd(worker.WorkerId, i))
            {
                throw new WorkerListException($"{nameOf(i)}: duplicate worker_id (also {nameOf(ids[worker.WorkerId])})");
            }

            var normalized = endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
            if (!endpoints.TryAdd(normalized, i))
            {
                throw new WorkerListException($"{nameOf(i)}: duplicate endpoint {normalized} (also {nameOf(endpoints[normalized])})");
            }
        }
    }
}
