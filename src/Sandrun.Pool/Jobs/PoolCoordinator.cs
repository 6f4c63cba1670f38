using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sandrun.Pool.Workers;
using Sandrun.Quotas;
using Sandrun.Receipts;

namespace Sandrun.Pool.Jobs;

/// <summary>
/// The pool's job lifecycle (SPEC.md §7): placement on the usable worker with the fewest active jobs below its limit,
/// failover on refusal (429/503) or an unreachable worker, the FIFO queue when all are full, final statuses checked
/// against the worker's listed key, and <c>worker_lost</c> for jobs on a worker that went away.
/// </summary>
public sealed partial class PoolCoordinator
{
    private readonly IPoolJobStore store;
    private readonly PoolWorkers workers;
    private readonly WorkerClient client;
    private readonly ClientQuotas quotas;
    private readonly PoolOptions options;
    private readonly TimeProvider time;
    private readonly PoolMetrics metrics;
    private readonly ILogger<PoolCoordinator> logger;
    private readonly SemaphoreSlim wake = new(0);
    private readonly Channel<PoolJob> dispatched = Channel.CreateUnbounded<PoolJob>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Creates the coordinator.</summary>
    public PoolCoordinator(
        IPoolJobStore store, PoolWorkers workers, WorkerClient client, ClientQuotas quotas, IOptions<PoolOptions> options,
        TimeProvider time, PoolMetrics metrics, ILogger<PoolCoordinator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.store = store;
        this.workers = workers;
        this.client = client;
        this.quotas = quotas;
        this.options = options.Value;
        this.time = time;
        this.metrics = metrics;
        this.logger = logger;
    }

    /// <summary>The pool's state.</summary>
    public IPoolJobStore Store => store;

    /// <summary>Jobs as workers accept them, for <see cref="PoolTracker"/> to follow.</summary>
    internal ChannelReader<PoolJob> Dispatched => dispatched.Reader;

    /// <summary>Takes a submission: placed on a worker now when one has room (its refusal of the job itself is returned), else queued.</summary>
    public async Task<SubmitOutcome> SubmitAsync(string clientAddress, SpooledUpload upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var job = new PoolJob("job-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), clientAddress, time.GetUtcNow(), upload);
        if (store.QueueLength == 0)
        {
            var placement = await PlaceAsync(job, cancellationToken).ConfigureAwait(false);
            if (placement.Kind == PlacementKind.Placed)
            {
                store.Add(job);
                return new SubmitOutcome(job.Id, placement.Position, null);
            }

            if (placement.Kind == PlacementKind.Refused)
            {
                upload.Dispose();
                return new SubmitOutcome(null, 0, placement.Refusal);
            }
        }

        var position = store.Enqueue(job, options.QueueCapacity);
        if (position == 0)
        {
            upload.Dispose();
            return new SubmitOutcome(null, 0, null);
        }

        LogQueued(job.Id, position);
        Wake();
        return new SubmitOutcome(job.Id, position, null);
    }

    /// <summary>Places queued jobs, head first, while workers take them (the dispatcher's loop body).</summary>
    public async Task DrainQueueAsync(CancellationToken cancellationToken)
    {
        while (store.Head() is { } head && !cancellationToken.IsCancellationRequested)
        {
            if (head.State != PoolJobState.Queued)
            {
                store.Dequeue(head);
                continue;
            }

            var placement = await PlaceAsync(head, cancellationToken).ConfigureAwait(false);
            if (placement.Kind == PlacementKind.NoWorker)
            {
                return;
            }

            store.Dequeue(head);
            if (placement.Kind == PlacementKind.Refused)
            {
                var details = Details(placement.Refusal!);
                End(head, StatusDocuments.Failed(head, "setup_error", $"the worker refused the job ({placement.Refusal!.StatusCode}): {details}"), completed: null);
            }
        }
    }

    /// <summary>Waits until something may let a queued job be placed (a submission, a freed slot, a worker back) or <paramref name="timeout"/>.</summary>
    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken) => wake.WaitAsync(timeout, cancellationToken);

    /// <summary>Something changed that may let a queued job be placed.</summary>
    public void Wake()
    {
        if (wake.CurrentCount == 0)
        {
            wake.Release();
        }
    }

    /// <summary>
    /// The status the pool reports for a worker's <c>/status</c> answer: rewritten to the pool's id; when final, its
    /// receipt checked against the listed key (a failing one makes it <c>failed</c>/<c>receipt_invalid</c>) and the job ended.
    /// </summary>
    public string Observe(PoolJob job, JsonObject status)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(status);
        if (job.FinalStatus is { } final)
        {
            return final;
        }

        var state = status["status"] is JsonValue s && s.TryGetValue<string>(out var text) ? text : null;
        if (state is not ("completed" or "failed"))
        {
            var current = JsonText.Of(StatusDocuments.Rewrite(status, job, receiptVerified: false));
            if (state == "running")
            {
                job.Running(current);
            }

            return current;
        }

        var worker = job.Worker!;
        // Checked against the key listed for this worker, not the key the worker names.
        bool verified;
        using (var document = JsonDocument.Parse(status.ToJsonString()))
        {
            verified = StatusReceipt.Check(document.RootElement, worker.WorkerId, job.WorkerJobId!).Valid;
        }

        if (!verified)
        {
            status["status"] = "failed";
            status["failure_reason"] = "receipt_invalid";
            worker.Quarantine($"a receipt for job {job.WorkerJobId} did not verify against the listed key");
            metrics.ReceiptInvalid();
            LogReceiptInvalid(job.Id, worker.Endpoint, job.WorkerJobId!);
        }

        StatusDocuments.Rewrite(status, job, verified);
        var cpu = status["execution_metadata"]?["cpu_seconds"] is JsonValue c && c.TryGetValue<double>(out var seconds) ? seconds : 0;
        End(job, status, completed: verified && state == "completed", cpu);
        return job.FinalStatus!;
    }

    /// <summary>The job's worker no longer has it (it went away or restarted): the job ends <c>worker_lost</c>.</summary>
    public void Lose(PoolJob job, string why)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (End(job, StatusDocuments.Failed(job, "worker_lost", why), completed: false))
        {
            metrics.Lost();
            LogLost(job.Id, job.Worker?.Endpoint, why);
        }
    }

    /// <summary>Every in-flight job of <paramref name="worker"/> ends <c>worker_lost</c> (never silently re-run).</summary>
    public void LoseWorker(PoolWorker worker, string why)
    {
        ArgumentNullException.ThrowIfNull(worker);
        foreach (var job in store.InFlight().Where(j => ReferenceEquals(j.Worker, worker)))
        {
            Lose(job, why);
        }
    }

    /// <summary>A request to <paramref name="worker"/> could not connect: it gets no jobs until it answers a probe again, and its jobs are lost.</summary>
    public void Unreachable(PoolWorker worker, Exception error)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(error);
        worker.Unreachable(error.Message);
        LoseWorker(worker, $"the worker at {worker.Endpoint} could not be reached: {error.Message}");
    }

    private async Task<PlacementResult> PlaceAsync(PoolJob job, CancellationToken cancellationToken)
    {
        foreach (var worker in workers.Candidates())
        {
            if (!worker.TryReserve())
            {
                continue;
            }

            WorkerAnswer answer;
            try
            {
                answer = await client.SubmitAsync(worker, job.Upload!, job.Client, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                worker.Release(null);
                metrics.Failover();
                LogSubmitFailed(worker.Endpoint, e.Message);
                Unreachable(worker, e);
                continue;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                worker.Release(null);
                metrics.Failover();
                LogSubmitFailed(worker.Endpoint, "timed out");
                continue;
            }

            if (answer.StatusCode == StatusCodes.Status200OK && Accepted(answer.Body) is { } accepted)
            {
                job.Dispatched(worker, accepted.Id, time.GetUtcNow());
                dispatched.Writer.TryWrite(job);
                metrics.Dispatched();
                return new PlacementResult(PlacementKind.Placed, accepted.Position);
            }

            worker.Release(null);
            if (answer.StatusCode is StatusCodes.Status429TooManyRequests or >= 500 || answer.StatusCode == StatusCodes.Status200OK)
            {
                metrics.Failover();
                LogSubmitFailed(worker.Endpoint, $"HTTP {answer.StatusCode}: {Details(answer)}");
                continue;
            }

            return new PlacementResult(PlacementKind.Refused, Refusal: answer);
        }

        return new PlacementResult(PlacementKind.NoWorker);
    }

    private bool End(PoolJob job, JsonObject status, bool? completed, double cpuSeconds = 0)
    {
        if (!job.TryEnd(JsonText.Of(status), completed == true, time.GetUtcNow()))
        {
            return false;
        }

        store.Dequeue(job);
        if (job.Worker is { } worker && job.DispatchedAt is not null)
        {
            worker.Release(completed == true);
        }

        quotas.ChargeCpu(job.Client, TimeSpan.FromSeconds(cpuSeconds));
        quotas.JobEnded(job.Client);
        Wake();
        return true;
    }

    private static (string Id, int Position)? Accepted(string body)
    {
        try
        {
            var node = JsonNode.Parse(body);
            var id = node?["job_id"]?.GetValue<string>();
            var position = node?["position"] is JsonValue p && p.TryGetValue<int>(out var n) ? n : 0;
            return id is { Length: > 0 } && !id.Contains('/', StringComparison.Ordinal) ? (id, position) : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static string Details(WorkerAnswer answer)
    {
        try
        {
            var node = JsonNode.Parse(answer.Body);
            return node?["details"]?.GetValue<string>() ?? node?["error"]?.GetValue<string>() ?? Short(answer.Body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Short(answer.Body);
        }
    }

    private static string Short(string text) => text.Length <= 200 ? text : text[..200] + "…";

    [LoggerMessage(Level = LogLevel.Debug, Message = "job {JobId} queued at position {Position}: no worker has a free slot")]
    private partial void LogQueued(string jobId, int position);

    [LoggerMessage(Level = LogLevel.Warning, Message = "worker {Endpoint} did not take a submission ({Reason}); trying the next")]
    private partial void LogSubmitFailed(Uri endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: the receipt of worker {Endpoint} for its job {WorkerJobId} does not verify against the listed key; reported failed (receipt_invalid), worker quarantined")]
    private partial void LogReceiptInvalid(string jobId, Uri endpoint, string workerJobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId} on worker {Endpoint} lost: {Reason}")]
    private partial void LogLost(string jobId, Uri? endpoint, string reason);
}

/// <summary>The pool's answer to a submission.</summary>
/// <param name="JobId">The pool's id when accepted (placed or queued), else null.</param>
/// <param name="Position">The queue position (the pool's, or the worker's when placed at once).</param>
/// <param name="Refusal">A worker's refusal of the job itself (to pass on); null with a null id means the pool's queue is full.</param>
public sealed record SubmitOutcome(string? JobId, int Position, WorkerAnswer? Refusal);
