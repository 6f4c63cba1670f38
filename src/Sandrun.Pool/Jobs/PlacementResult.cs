using Sandrun.Pool.Workers;

namespace Sandrun.Pool.Jobs;

/// <summary>What became of one attempt to place a job.</summary>
/// <param name="Kind">Placed, refused for good, or no worker took it now.</param>
/// <param name="Position">The worker's queue position when placed.</param>
/// <param name="Refusal">The worker's answer when it refused the job itself (400, 413, …).</param>
public sealed record PlacementResult(PlacementKind Kind, int Position = 0, WorkerAnswer? Refusal = null);

/// <summary>How a placement attempt ended.</summary>
public enum PlacementKind
{
    /// <summary>A worker accepted the job.</summary>
    Placed,

    /// <summary>A worker refused the job itself (invalid manifest, upload too large): no other worker would take it.</summary>
    Refused,

    /// <summary>No usable worker had a free slot, or every one tried refused for load or could not be reached.</summary>
    NoWorker,
}
