using System.Data.Common;

namespace Sandrun.Broker.Storage;

/// <summary>
/// The broker's statements over plain ADO.NET, shared by the SQLite and PostgreSQL stores (both take <c>@name</c>
/// parameters, <c>ON CONFLICT</c> and <c>RETURNING</c>). Times are Unix milliseconds from the store's clock, passed
/// into every statement, so a test's clock rules the database too. A store subclass supplies its connections,
/// its schema, its one-statement claim and how writers are serialized.
/// </summary>
public abstract class SqlBrokerStore : IBrokerStore
{
    private const string JobColumns =
        "id, state, attempts, max_attempts, node_id, lease_token, lease_expires_at, job_hash, manifest, exit_code, failure_reason, last_error, created_at, started_at, finished_at, run_after";

    private const string NodeColumns = "node_id, worker_id, endpoint, capabilities, slots, registered_at, last_seen, completed, failed";

    /// <summary>Creates the store on <paramref name="time"/>.</summary>
    protected SqlBrokerStore(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        Time = time;
    }

    /// <summary>The clock every statement's times come from.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The SQL function that returns the smaller of two values (<c>min</c> in SQLite, <c>least</c> in PostgreSQL).</summary>
    protected abstract string Least { get; }

    /// <summary>The statements that create the schema, each idempotent.</summary>
    protected abstract IReadOnlyList<string> Schema { get; }

    /// <summary>
    /// The claim statement: one statement that picks the oldest queued job whose <c>run_after</c> has passed and marks
    /// it running for <c>@node</c> with <c>lease_token + 1</c>, <c>attempts + 1</c>, <c>lease_expires_at = @expires</c>,
    /// returning <c>id, lease_token, attempts, job_hash, manifest</c>. Parameters: <c>@now</c>, <c>@node</c>, <c>@expires</c>.
    /// </summary>
    protected abstract string ClaimStatement { get; }

    /// <summary>Runs <paramref name="work"/> in one write transaction and commits it.</summary>
    protected abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>Runs <paramref name="work"/> on a connection for reading.</summary>
    protected abstract Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken);

    /// <summary>Called in the submit transaction after the job is stored: a wake-up hint for waiting claimers.</summary>
    protected virtual Task OnSubmittedAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Called after a sweep deleted jobs, outside any transaction (e.g. to truncate a write-ahead log).</summary>
    protected virtual Task OnPurgedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task InitializeAsync(CancellationToken cancellationToken) =>
        WriteAsync(async (c, t) =>
        {
            foreach (var statement in Schema)
            {
                await Execute(c, t, statement).ConfigureAwait(false);
            }

            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public Task SubmitAsync(NewBrokerJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var now = Now();
        return WriteAsync(async (c, t) =>
        {
            await Execute(c, t,
                "INSERT INTO broker_jobs (id, state, attempts, max_attempts, lease_token, job_hash, manifest, created_at, run_after) "
                + "VALUES (@id, 'queued', 0, @max, 0, @hash, @manifest, @now, @now)",
                ("@id", job.Id), ("@max", job.MaxAttempts), ("@hash", job.JobHash), ("@manifest", job.Manifest), ("@now", now)).ConfigureAwait(false);
            await Execute(c, t, "INSERT INTO broker_inputs (job_id, data) VALUES (@id, @data)", ("@id", job.Id), ("@data", job.Input)).ConfigureAwait(false);
            await OnSubmittedAsync(c, t, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<BrokerJobRecord?> GetAsync(string jobId, CancellationToken cancellationToken) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, null, $"SELECT {JobColumns} FROM broker_jobs WHERE id = @id", ("@id", jobId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadJob(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<JobLease?> ClaimAsync(string nodeId, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = Now();
        var expires = now + (long)lease.TotalMilliseconds;
        return WriteAsync(async (c, t) =>
        {
            await using var command = Command(c, t, ClaimStatement, ("@now", now), ("@node", nodeId), ("@expires", expires));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new JobLease(reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), FromMs(expires))
                : null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<byte[]?> ReadInputAsync(string jobId, CancellationToken cancellationToken) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, null, "SELECT data FROM broker_inputs WHERE job_id = @id", ("@id", jobId));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
        }, cancellationToken);

    /// <inheritdoc />
    public Task<bool> HeartbeatAsync(string jobId, string nodeId, long leaseToken, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = Now();
        return WriteAsync(async (c, t) =>
        {
            var renewed = await Execute(c, t,
                "UPDATE broker_jobs SET lease_expires_at = @expires WHERE id = @id AND node_id = @node AND lease_token = @token AND state = 'running'",
                ("@expires", now + (long)lease.TotalMilliseconds), ("@id", jobId), ("@node", nodeId), ("@token", leaseToken)).ConfigureAwait(false);
            return renewed == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<CompletionOutcome> CompleteAsync(string jobId, string nodeId, long leaseToken, BrokerResult result, TimeSpan resultTtl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Status is not (BrokerStates.Completed or BrokerStates.Failed))
        {
            throw new ArgumentException("a result is completed or failed", nameof(result));
        }

        var now = Now();
        return WriteAsync(async (c, t) =>
        {
            var ended = await Execute(c, t,
                "UPDATE broker_jobs SET state = @state, exit_code = @exit, failure_reason = @reason, finished_at = @now, expires_at = @expires, lease_expires_at = NULL "
                + "WHERE id = @id AND node_id = @node AND lease_token = @token AND state = 'running'",
                ("@state", result.Status), ("@exit", result.ExitCode), ("@reason", result.FailureReason), ("@now", now),
                ("@expires", now + (long)resultTtl.TotalMilliseconds), ("@id", jobId), ("@node", nodeId), ("@token", leaseToken)).ConfigureAwait(false);
            if (ended == 0)
            {
                await using var exists = Command(c, t, "SELECT 1 FROM broker_jobs WHERE id = @id", ("@id", jobId));
                return await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null ? CompletionOutcome.NotFound : CompletionOutcome.StaleLease;
            }

            await Execute(c, t, "INSERT INTO broker_results (job_id, detail, stdout, stderr, outputs) VALUES (@id, @detail, @stdout, @stderr, @outputs)",
                ("@id", jobId), ("@detail", result.Detail), ("@stdout", result.Stdout), ("@stderr", result.Stderr), ("@outputs", result.Outputs)).ConfigureAwait(false);
            await Execute(c, t,
                result.Status == BrokerStates.Completed
                    ? "UPDATE broker_nodes SET completed = completed + 1, last_seen = @now WHERE node_id = @node"
                    : "UPDATE broker_nodes SET failed = failed + 1, last_seen = @now WHERE node_id = @node",
                ("@now", now), ("@node", nodeId)).ConfigureAwait(false);
            return CompletionOutcome.Completed;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SweepReport> SweepAsync(RetryPolicy retry, TimeSpan resultTtl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retry);
        var now = Now();
        var report = await WriteAsync(async (c, t) =>
        {
            // Out of attempts first, so the requeue below only sees leases that may run again.
            var failed = await Execute(c, t,
                "UPDATE broker_jobs SET state = 'failed', failure_reason = 'node_lost', last_error = 'lease expired', finished_at = @now, expires_at = @expires, "
                + "lease_expires_at = NULL WHERE state = 'running' AND lease_expires_at < @now AND attempts >= max_attempts",
                ("@now", now), ("@expires", now + (long)resultTtl.TotalMilliseconds)).ConfigureAwait(false);
            var requeued = await Execute(c, t,
                $"UPDATE broker_jobs SET state = 'queued', last_error = 'lease expired', lease_expires_at = NULL, "
                + $"run_after = @now + {Least}(@max, @base * (1 << (attempts - 1))) WHERE state = 'running' AND lease_expires_at < @now",
                ("@now", now), ("@max", (long)retry.Max.TotalMilliseconds), ("@base", (long)retry.Base.TotalMilliseconds)).ConfigureAwait(false);
            await Execute(c, t, "DELETE FROM broker_inputs WHERE job_id IN (SELECT id FROM broker_jobs WHERE expires_at < @now)", ("@now", now)).ConfigureAwait(false);
            await Execute(c, t, "DELETE FROM broker_results WHERE job_id IN (SELECT id FROM broker_jobs WHERE expires_at < @now)", ("@now", now)).ConfigureAwait(false);
            var purged = await Execute(c, t, "DELETE FROM broker_jobs WHERE expires_at < @now", ("@now", now)).ConfigureAwait(false);
            await Execute(c, t, "DELETE FROM broker_challenges WHERE expires_at < @now", ("@now", now)).ConfigureAwait(false);
            return new SweepReport(requeued, failed, purged);
        }, cancellationToken).ConfigureAwait(false);
        if (report.Purged > 0)
        {
            await OnPurgedAsync(cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    /// <inheritdoc />
    public Task<StoredResult?> GetResultAsync(string jobId, CancellationToken cancellationToken) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, null, "SELECT detail, stdout, stderr, outputs FROM broker_results WHERE job_id = @id", ("@id", jobId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                ? new StoredResult(reader.GetString(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2), reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3))
                : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<string?> GetResultDetailAsync(string jobId, CancellationToken cancellationToken) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, null, "SELECT detail FROM broker_results WHERE job_id = @id", ("@id", jobId));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<long> QueuePositionAsync(string jobId, CancellationToken cancellationToken) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, null,
                "SELECT count(*) FROM broker_jobs q, broker_jobs j WHERE j.id = @id AND j.state = 'queued' AND q.state = 'queued' "
                + "AND (q.run_after, q.created_at, q.id) <= (j.run_after, j.created_at, j.id)",
                ("@id", jobId));
            return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, cancellationToken);

    /// <inheritdoc />
    public Task AddNodeChallengeAsync(NodeChallenge challenge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        return WriteAsync((c, t) => Execute(c, t,
            "INSERT INTO broker_challenges (node_id, worker_id, challenge, endpoint, capabilities, slots, expires_at) "
            + "VALUES (@node, @worker, @challenge, @endpoint, @capabilities, @slots, @expires)",
            ("@node", challenge.NodeId), ("@worker", challenge.WorkerId), ("@challenge", challenge.Challenge), ("@endpoint", challenge.Endpoint),
            ("@capabilities", challenge.Capabilities), ("@slots", challenge.Slots), ("@expires", challenge.ExpiresAt.ToUnixTimeMilliseconds())), cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> ConfirmNodeAsync(string nodeId, string challenge, string workerId, byte[] tokenHash, CancellationToken cancellationToken)
    {
        var now = Now();
        return WriteAsync(async (c, t) =>
        {
            var added = await Execute(c, t,
                $"INSERT INTO broker_nodes ({NodeColumns}, token_hash) SELECT node_id, worker_id, endpoint, capabilities, slots, @now, @now, 0, 0, @token "
                + "FROM broker_challenges WHERE node_id = @node AND challenge = @challenge AND worker_id = @worker AND expires_at >= @now",
                ("@now", now), ("@token", tokenHash), ("@node", nodeId), ("@challenge", challenge), ("@worker", workerId)).ConfigureAwait(false);
            await Execute(c, t, "DELETE FROM broker_challenges WHERE node_id = @node", ("@node", nodeId)).ConfigureAwait(false);
            return added == 1;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<BrokerNode?> FindNodeAsync(byte[] tokenHash, CancellationToken cancellationToken)
    {
        var now = Now();
        return WriteAsync(async (c, t) =>
        {
            await using var command = Command(c, t, $"UPDATE broker_nodes SET last_seen = @now WHERE token_hash = @token RETURNING {NodeColumns}", ("@now", now), ("@token", tokenHash));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadNode(reader) : null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BrokerNode>> ListNodesAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<BrokerNode>>(async c =>
        {
            await using var command = Command(c, null, $"SELECT {NodeColumns} FROM broker_nodes ORDER BY registered_at, node_id");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var nodes = new List<BrokerNode>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                nodes.Add(ReadNode(reader));
            }

            return nodes;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<(long Queued, long Running)> CountAsync(CancellationToken cancellationToken) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, null,
                "SELECT (SELECT count(*) FROM broker_jobs WHERE state = 'queued'), (SELECT count(*) FROM broker_jobs WHERE state = 'running')");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the store's connections.</summary>
    protected abstract ValueTask DisposeAsyncCore();

    /// <summary>Runs a statement and returns the rows it changed.</summary>
    protected static async Task<int> Execute(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>A command with its parameters (null values as SQL NULL).</summary>
    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(parameters);
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // The statements are this class's constants; every value goes in as a parameter.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private long Now() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? FromMs(DbDataReader reader, int i) => reader.IsDBNull(i) ? null : FromMs(reader.GetInt64(i));

    private static BrokerJobRecord ReadJob(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5), FromMs(r, 6),
        r.GetString(7), r.GetString(8), r.IsDBNull(9) ? null : r.GetInt32(9), r.IsDBNull(10) ? null : r.GetString(10), r.IsDBNull(11) ? null : r.GetString(11),
        FromMs(r.GetInt64(12)), FromMs(r, 13), FromMs(r, 14), FromMs(r.GetInt64(15)));

    private static BrokerNode ReadNode(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.GetInt32(4), FromMs(r.GetInt64(5)), FromMs(r.GetInt64(6)), r.GetInt64(7), r.GetInt64(8));
}
