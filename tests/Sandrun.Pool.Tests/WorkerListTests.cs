using System.Diagnostics;
using Sandrun.Receipts;

namespace Sandrun.Pool.Tests;

/// <summary>A bad workers.json stops the pool verb with exit code 1 and a message naming the entry.</summary>
public sealed class WorkerListTests
{
    public static TheoryData<string, string> BadLists()
    {
        using var key = Ed25519Signer.Generate();
        var id = key.WorkerId!;
        return new TheoryData<string, string>
        {
            { """[{"endpoint":"http://127.0.0.1:9001","max_concurrent_jobs":2}]""", "entry 0: worker_id is missing" },
            { $$"""[{"worker_id":"{{id}}","max_concurrent_jobs":2}]""", "entry 0: endpoint is missing" },
            { $$"""[{"worker_id":"{{id}}","endpoint":"http://127.0.0.1:9001"},{"worker_id":"bm90IGEga2V5","endpoint":"http://127.0.0.1:9002"}]""", "entry 1: worker_id 'bm90IGEga2V5' is not an Ed25519 public key" },
            { $$"""[{"worker_id":"{{id}}","endpoint":"http://127.0.0.1:9001"},{"worker_id":"{{id}}","endpoint":"http://127.0.0.1:9002"}]""", "entry 1: duplicate worker_id (also " },
            { $$"""[{"worker_id":"{{id}}","endpoint":"ftp://127.0.0.1:9001"}]""", "entry 0: endpoint 'ftp://127.0.0.1:9001' is not an http:// or https:// URL" },
            { $$"""[{"worker_id":"{{id}}","endpoint":"http://127.0.0.1:9001","max_concurrent_jobs":0}]""", "entry 0: max_concurrent_jobs must be at least 1" },
            { $$"""[{"worker_id":"{{id}}","endpoint":"http://127.0.0.1:9001","max_concurrent_jobs":"4"}]""", "entry 0: max_concurrent_jobs has the wrong type" },
            { $$"""[{"worker_id":"{{id}}","endpoint":"http://127.0.0.1:9001","max_jobs":4}]""", "entry 0: unknown field 'max_jobs'" },
            { """{"workers":[]}""", "must be a JSON array" },
            { """[{"worker_id":""", "is not valid JSON" },
        };
    }

    [Theory]
    [MemberData(nameof(BadLists))]
    public async Task A_bad_worker_list_exits_1_naming_the_entry(string json, string expected)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, json);
            var (code, stderr) = await RunPoolAsync(file);
            Assert.Equal(1, code);
            Assert.Contains($"'{file}'", stderr, StringComparison.Ordinal);
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_missing_or_empty_worker_list_exits_1()
    {
        var (code, stderr) = await RunPoolAsync("/nonexistent/workers.json");
        Assert.Equal(1, code);
        Assert.Contains("cannot read the worker list '/nonexistent/workers.json'", stderr, StringComparison.Ordinal);

        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "[]");
            (code, stderr) = await RunPoolAsync(file);
            Assert.Equal(1, code);
            Assert.Contains("the pool has no workers", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<(int Code, string Stderr)> RunPoolAsync(string file)
    {
        using var pool = Process.Start(new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll"), "pool", "--port", "1", "--workers", file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = pool.StandardOutput.ReadToEndAsync();
        var stderr = await pool.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await pool.WaitForExitAsync();
        await stdout;
        return (pool.ExitCode, stderr);
    }
}
