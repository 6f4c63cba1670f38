using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Sandrun.Broker.Storage;

/// <summary>
/// The multi-machine store: PostgreSQL shared by any number of brokers. A claim is one statement — the next job
/// picked with <c>FOR UPDATE SKIP LOCKED</c> in a materialized CTE (so the planner cannot run the pick once per
/// updated row), then updated — so concurrent claimers never wait for nor take each other's job. Submissions
/// <c>NOTIFY</c> every broker's listener as a wake-up hint; claimers poll regardless. Deleted rows are not
/// securely erased (PostgreSQL has no such mode): the README says so.
/// </summary>
public sealed partial class PostgresBrokerStore : SqlBrokerStore
{
    /// <summary>The notification channel submissions signal on.</summary>
    public const string Channel = "sandrun_broker_jobs";

    private readonly NpgsqlDataSource dataSource;
    private readonly BrokerWakeup wakeup;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private Task? listener;

    /// <summary>Creates the store on <paramref name="connectionString"/>.</summary>
    public PostgresBrokerStore(string connectionString, TimeProvider time, BrokerWakeup wakeup, ILogger<PostgresBrokerStore> logger)
        : base(time)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentNullException.ThrowIfNull(wakeup);
        ArgumentNullException.ThrowIfNull(logger);
        dataSource = NpgsqlDataSource.Create(connectionString);
        this.wakeup = wakeup;
        this.logger = logger;
    }

    /// <inheritdoc />
    protected override string Least => "least";

    /// <inheritdoc />
    protected override IReadOnlyList<string> Schema { get; } =
    [
        // Several brokers may start at once on a fresh database: one creates the schema, the others wait for it.
        "SELECT pg_advisory_xact_lock(7366353132)",
        "CREATE TABLE IF NOT EXISTS broker_jobs (id text PRIMARY KEY, state text NOT NULL, attempts int NOT NULL, max_attempts int NOT NULL, "
            + "node_id text, lease_token bigint NOT NULL, lease_expires_at bigint, job_hash text NOT NULL, manifest text NOT NULL, exit_code int, "
            + "failure_reason text, last_error text, created_at bigint NOT NULL, started_at bigint, finished_at bigint, run_after bigint NOT NULL, expires_at bigint) "
            + "WITH (fillfactor = 70)",
        "CREATE INDEX IF NOT EXISTS broker_jobs_queued ON broker_jobs (run_after, created_at, id) WHERE state = 'queued'",
        "CREATE INDEX IF NOT EXISTS broker_jobs_leases ON broker_jobs (lease_expires_at) WHERE state = 'running'",
        "CREATE INDEX IF NOT EXISTS broker_jobs_expiry ON broker_jobs (expires_at) WHERE expires_at IS NOT NULL",
        "CREATE TABLE IF NOT EXISTS broker_inputs (job_id text PRIMARY KEY, data bytea NOT NULL)",
        "CREATE TABLE IF NOT EXISTS broker_results (job_id text PRIMARY KEY, detail text NOT NULL, stdout bytea NOT NULL, stderr bytea NOT NULL, outputs bytea)",
        "CREATE TABLE IF NOT EXISTS broker_challenges (node_id text PRIMARY KEY, worker_id text NOT NULL, challenge text NOT NULL, endpoint text, "
            + "capabilities text NOT NULL, slots int NOT NULL, expires_at bigint NOT NULL)",
        "CREATE TABLE IF NOT EXISTS broker_nodes (node_id text PRIMARY KEY, worker_id text NOT NULL, endpoint text, capabilities text NOT NULL, slots int NOT NULL, "
            + "registered_at bigint NOT NULL, last_seen bigint NOT NULL, completed bigint NOT NULL, failed bigint NOT NULL, token_hash bytea NOT NULL UNIQUE)",
    ];

    /// <inheritdoc />
    protected override string ClaimStatement =>
        "WITH next AS MATERIALIZED (SELECT id FROM broker_jobs WHERE state = 'queued' AND run_after <= @now "
        + "ORDER BY run_after, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
        + "UPDATE broker_jobs j SET state = 'running', attempts = j.attempts + 1, node_id = @node, lease_token = j.lease_token + 1, "
        + "lease_expires_at = @expires, started_at = coalesce(j.started_at, @now) FROM next WHERE j.id = next.id "
        + "RETURNING j.id, j.lease_token, j.attempts, j.job_hash, j.manifest";

    /// <inheritdoc />
    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await base.InitializeAsync(cancellationToken).ConfigureAwait(false);
        listener ??= Task.Run(() => ListenAsync(stopping.Token), CancellationToken.None);
    }

    /// <inheritdoc />
    protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await work(connection, transaction).ConfigureAwait(false);
        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    protected override async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await work(connection).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task OnSubmittedAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        // Delivered at commit, to every broker listening (this one too).
        await Execute(connection, transaction, $"NOTIFY {Channel}").ConfigureAwait(false);
        wakeup.Pulse();
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        if (listener is not null)
        {
            await listener.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        stopping.Dispose();
        await dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Holds one LISTEN connection and turns notifications into pulses; reconnects after a failure.</summary>
    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                connection.Notification += (_, _) => wakeup.Pulse();
                await Execute(connection, null, $"LISTEN {Channel}").ConfigureAwait(false);
                while (!cancellationToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
            {
                // Claimers keep polling meanwhile; the hint comes back with the connection.
                LogListenFailed(logger, e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), Time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker: the LISTEN connection failed ({ExceptionType}); claimers poll until it is back")]
    private static partial void LogListenFailed(ILogger logger, string exceptionType);
}
