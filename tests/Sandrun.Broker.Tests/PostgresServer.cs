using System.Diagnostics;
using Npgsql;

namespace Sandrun.Broker.Tests;

/// <summary>
/// A real PostgreSQL (Debian's package) for the test run: initdb and pg_ctl as the <c>postgres</c> user in a temp
/// directory, listening on a Unix socket there only (no port to race for), stopped and deleted at the end. Each test
/// gets a fresh database.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "sandrun-pg-" + Guid.NewGuid().ToString("N")[..12]);
    private string bin = "";
    private int databases;

    /// <summary>A connection string for the server's maintenance database.</summary>
    public string AdminConnectionString => $"Host={directory};Username=sandrun;Database=postgres;Pooling=false";

    public async Task InitializeAsync()
    {
        bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)");
        Directory.CreateDirectory(directory);
        await RunAsync("chown", "postgres:postgres", directory);
        await AsPostgresAsync(Path.Combine(bin, "initdb"), "-D", Path.Combine(directory, "data"), "-U", "sandrun", "-A", "trust", "-E", "UTF8", "--no-sync");
        await AsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(directory, "data"), "-w", "-l", Path.Combine(directory, "log"), "-o",
            $"-c listen_addresses='' -k {directory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start");
    }

    /// <summary>Creates a fresh database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"t{Interlocked.Increment(ref databases)}_{Guid.NewGuid():N}"[..24];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0", connection);
        await command.ExecuteNonQueryAsync();
        return $"Host={directory};Username=sandrun;Database={name}";
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (bin.Length > 0)
        {
            await AsPostgresAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(directory, "data"), "-m", "immediate", "-w", "stop");
        }

        Directory.Delete(directory, recursive: true);
    }

    private Task AsPostgresAsync(string program, params string[] args) => RunAsync("runuser", ["-u", "postgres", "--", program, .. args]);

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await error}");
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
