using System.Diagnostics;

namespace Sandrun.Benchmarks;

/// <summary>A throwaway PostgreSQL (Debian's package): initdb and pg_ctl as the postgres user, a Unix socket in a temp directory.</summary>
internal sealed class PostgresInstance : IAsyncDisposable
{
    private readonly string directory;
    private readonly string bin;

    private PostgresInstance(string directory, string bin)
    {
        this.directory = directory;
        this.bin = bin;
    }

    public string ConnectionString => $"Host={directory};Username=sandrun;Database=postgres";

    public static async Task<PostgresInstance> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderBy(d => d, StringComparer.Ordinal).Last();
        // Not below a 0700 temp directory: the postgres user must reach it.
        var directory = Path.Combine(Path.GetTempPath(), "sandrun-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        await RunAsync("chown", "postgres:postgres", directory);
        var instance = new PostgresInstance(directory, bin);
        await instance.AsPostgresAsync("initdb", "-D", Path.Combine(directory, "data"), "-U", "sandrun", "-A", "trust", "-E", "UTF8", "--no-sync");
        await instance.AsPostgresAsync("pg_ctl", "-D", Path.Combine(directory, "data"), "-w", "-l", Path.Combine(directory, "log"), "-o",
            $"-c listen_addresses='' -k {directory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start");
        return instance;
    }

    public async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await AsPostgresAsync("pg_ctl", "-D", Path.Combine(directory, "data"), "-m", "immediate", "-w", "stop");
        Directory.Delete(directory, recursive: true);
    }

    private Task AsPostgresAsync(string program, params string[] args) => RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, program), .. args]);

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited {process.ExitCode}: {await error}");
        }
    }
}
