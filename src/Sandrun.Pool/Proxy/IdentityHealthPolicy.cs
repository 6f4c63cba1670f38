using Microsoft.Extensions.Logging;
using Sandrun.AspNetCore;
using Sandrun.Pool.Jobs;
using Sandrun.Pool.Workers;
using Sandrun.Receipts;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Sandrun.Pool.Proxy;

/// <summary>
/// YARP's active health policy for workers: healthy when <c>/health</c> answers 200, verified when the answer carries the
/// challenge's signature by the listed key. Only both make a destination Healthy. A worker that cannot be reached, or
/// that answers without proving the listed key, loses its in-flight jobs (<c>worker_lost</c>).
/// </summary>
internal sealed partial class IdentityHealthPolicy(
    PoolWorkers workers, PoolCoordinator coordinator, IDestinationHealthUpdater healthUpdater, TimeProvider time, ILogger<IdentityHealthPolicy> logger) : IActiveHealthCheckPolicy
{
    public const string PolicyName = "SandrunIdentity";

    public string Name => PolicyName;

    public void ProbingCompleted(ClusterState cluster, IReadOnlyList<DestinationProbingResult> probingResults)
    {
        ArgumentNullException.ThrowIfNull(probingResults);
        var updates = new List<NewActiveDestinationHealth>(probingResults.Count);
        foreach (var result in probingResults)
        {
            if (workers.ByDestination(result.Destination.DestinationId) is not { } worker)
            {
                continue;
            }

            var response = result.Response;
            var healthy = response is { IsSuccessStatusCode: true };
            var challenge = response?.RequestMessage?.Headers.TryGetValues(SandrunChallengeHeaders.Challenge, out var sent) == true ? sent.First() : null;
            var answer = response?.Headers.TryGetValues(SandrunChallengeHeaders.Signature, out var values) == true ? values.First() : null;
            var verified = response is not null && challenge is not null && WorkerChallenge.Verify(challenge, answer, worker.WorkerId);
            var error = result.Exception is { } e ? $"probe failed: {e.Message}"
                : !verified ? (answer is null ? "did not answer the identity challenge (anonymous, or not a Sandrun worker)" : "the challenge signature does not verify against the listed worker_id")
                : !healthy ? $"/health answered {(int)response!.StatusCode}"
                : null;
            var wasUsable = worker.Usable;
            worker.Probed(healthy, verified, error, time.GetUtcNow());
            if (wasUsable != worker.Usable)
            {
                LogChanged(worker.Endpoint, worker.Usable ? "usable" : "not usable", error ?? "verified and healthy");
            }

            if (result.Exception is HttpRequestException || (response is not null && !verified))
            {
                coordinator.LoseWorker(worker, $"the worker at {worker.Endpoint} went away ({error})");
            }

            if (worker.Usable)
            {
                coordinator.Wake();
            }

            updates.Add(new NewActiveDestinationHealth(result.Destination, worker.Usable ? DestinationHealth.Healthy : DestinationHealth.Unhealthy));
        }

        healthUpdater.SetActive(cluster, updates);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "worker {Endpoint} is now {State}: {Reason}")]
    private partial void LogChanged(Uri endpoint, string state, string reason);
}
