using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Sandrun.Broker.Storage;

/// <summary>
/// The embedded store: one SQLite file (WAL, <c>secure_delete</c> so deleted inputs and results are overwritten).
/// One writer connection serializes every write under <c>BEGIN IMMEDIATE</c>, as SQLite queues need (a second writer
/// only meets SQLITE_BUSY); reads use their own pooled connections and never block it.
/// </summary>
public sealed class SqliteBrokerStore : SqlBrokerStore
{
    private readonly string connectionString;
    private readonly SemaphoreSlim writerGate = new(1, 1);
    private readonly BrokerWakeup wakeup;
    private SqliteConnection? writer;

    /// <summary>Creates the store on the file <paramref name="path"/> (created with its directory if missing).</summary>
    public SqliteBrokerStore(string path, TimeProvider time, BrokerWakeup wakeup)
        : base(time)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(wakeup);
        this.wakeup = wakeup;
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    /// <inheritdoc />
    protected override string Least => "min";

    /// <inheritdoc />
    protected override IReadOnlyList<string> Schema { get; } =
    [
        "CREATE TABLE IF NOT EXISTS broker_jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, "
            + "node_id TEXT, lease_token INTEGER NOT NULL, lease_expires_at INTEGER, job_hash TEXT NOT NULL, manifest TEXT NOT NULL, exit_code INTEGER, "
            + "failure_reason TEXT, last_error TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, run_after INTEGER NOT NULL, expires_at INTEGER)",
        "CREATE INDEX IF NOT EXISTS broker_jobs_queued ON broker_jobs (run_after, created_at, id) WHERE state = 'queued'",
        "CREATE INDEX IF NOT EXISTS broker_jobs_leases ON broker_jobs (lease_expires_at) WHERE state = 'running'",
        "CREATE INDEX IF NOT EXISTS broker_jobs_expiry ON broker_jobs (expires_at) WHERE expires_at IS NOT NULL",
        "CREATE TABLE IF NOT EXISTS broker_inputs (job_id TEXT PRIMARY KEY, data BLOB NOT NULL)",
        "CREATE TABLE IF NOT EXISTS broker_results (job_id TEXT PRIMARY KEY, detail TEXT NOT NULL, stdout BLOB NOT NULL, stderr BLOB NOT NULL, outputs BLOB)",
        "CREATE TABLE IF NOT EXISTS broker_challenges (node_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, challenge TEXT NOT NULL, endpoint TEXT, "
            + "capabilities TEXT NOT NULL, slots INTEGER NOT NULL, expires_at INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS broker_nodes (node_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, endpoint TEXT, capabilities TEXT NOT NULL, slots INTEGER NOT NULL, "
            + "registered_at INTEGER NOT NULL, last_seen INTEGER NOT NULL, completed INTEGER NOT NULL, failed INTEGER NOT NULL, token_hash BLOB NOT NULL UNIQUE)",
    ];

    /// <inheritdoc />
    protected override string ClaimStatement =>
        "UPDATE broker_jobs SET state = 'running', attempts = attempts + 1, node_id = @node, lease_token = lease_token + 1, lease_expires_at = @expires, "
        + "started_at = coalesce(started_at, @now) "
        + "WHERE id = (SELECT id FROM broker_jobs WHERE state = 'queued' AND run_after <= @now ORDER BY run_after, created_at, id LIMIT 1) "
        + "RETURNING id, lease_token, attempts, job_hash, manifest";

    /// <inheritdoc />
    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await writerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (writer is null)
            {
                var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                await Execute(connection, null, "PRAGMA journal_mode = WAL").ConfigureAwait(false);
                writer = connection;
            }
        }
        finally
        {
            writerGate.Release();
        }

        await base.InitializeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        await writerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            DbConnection connection = writer ?? throw new InvalidOperationException("the SQLite broker store is not initialized (call InitializeAsync)");

            // deferred: false is BEGIN IMMEDIATE: the write lock is taken up front, never upgraded mid-transaction.
            await using var transaction = ((SqliteConnection)connection).BeginTransaction(deferred: false);
            var result = await work(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        finally
        {
            writerGate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await work(connection).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override Task OnSubmittedAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        wakeup.Pulse();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override async Task OnPurgedAsync(CancellationToken cancellationToken)
    {
        // secure_delete zeroes the freed pages in the database file; the write-ahead log still holds the deleted
        // pages' old images until it is checkpointed and truncated.
        await writerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (writer is not null)
            {
                await Execute(writer, null, "PRAGMA wal_checkpoint(TRUNCATE)").ConfigureAwait(false);
            }
        }
        finally
        {
            writerGate.Release();
        }
    }

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        await writerGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (writer is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
                writer = null;
            }
        }
        finally
        {
            writerGate.Release();
        }

        SqliteConnection.ClearAllPools();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await Execute(connection, null, "PRAGMA secure_delete = ON; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL").ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
