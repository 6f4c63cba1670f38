using System.Globalization;
using System.Text.Json.Nodes;

namespace Sandrun.Pool.Jobs;

/// <summary>The <c>/status</c> JSON the pool reports: a worker's, rewritten to the pool's id with <c>pool_metadata</c>, or the pool's own.</summary>
public static class StatusDocuments
{
    /// <summary>Puts the pool's id and <c>pool_metadata</c> on a worker's status (the receipt stays as signed, over the worker's id).</summary>
    public static JsonObject Rewrite(JsonObject status, PoolJob job, bool receiptVerified)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(job);
        status["job_id"] = job.Id;
        status["pool_metadata"] = Metadata(job, receiptVerified);
        return status;
    }

    /// <summary>The status of a job the pool holds in its queue.</summary>
    public static JsonObject Queued(PoolJob job, int position) => Own(job, "queued", position, null, null);

    /// <summary>The status of a job the pool ended itself (<c>worker_lost</c>, or a worker refused it after it waited in the queue).</summary>
    public static JsonObject Failed(PoolJob job, string failureReason, string error) => Own(job, "failed", 0, failureReason, error);

    private static JsonObject Own(PoolJob job, string status, int position, string? failureReason, string? error) => new()
    {
        ["job_id"] = job.Id,
        ["status"] = status,
        ["queue_position"] = position,
        ["failure_reason"] = failureReason,
        ["execution_metadata"] = new JsonObject
        {
            ["cpu_seconds"] = null, ["memory_peak_bytes"] = null, ["wall_time_ms"] = null, ["exit_code"] = null,
            ["signal"] = null, ["environment"] = null, ["interpreter"] = null,
        },
        ["job_hash"] = null,
        ["output_files"] = new JsonObject(),
        ["worker_metadata"] = new JsonObject { ["worker_id"] = null, ["algorithm"] = null, ["receipt"] = null, ["signature"] = null },
        ["error"] = error,
        ["notes"] = new JsonArray(),
        ["pool_metadata"] = Metadata(job, false),
    };

    private static JsonObject Metadata(PoolJob job, bool receiptVerified) => new()
    {
        ["worker_id"] = job.Worker?.WorkerId,
        ["worker_job_id"] = job.WorkerJobId,
        ["receipt_verified"] = receiptVerified,
        ["submitted_at"] = Time(job.SubmittedAt),
        ["dispatched_at"] = job.DispatchedAt is { } at ? Time(at) : null,
    };

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
