using System.Diagnostics;
using System.Text.Json.Nodes;
using Sandrun.Receipts;

namespace Sandrun.Linux.Tests;

/// <summary>The server's key verbs (SPEC.md §1): --generate-key, --worker-key errors, verify.</summary>
public sealed class KeyVerbTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("sandrun-keyverbs").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public async Task Generate_key_writes_a_0600_pem_prints_the_worker_id_and_refuses_to_overwrite()
    {
        var path = Path.Combine(dir, "worker_key.pem");
        var (code, stdout, _) = await Server("--generate-key", path);
        Assert.Equal(0, code);
        using var loaded = Ed25519Signer.Load(path);
        Assert.Equal($"Worker ID: {loaded.WorkerId}\n", stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        var (again, _, error) = await Server("--generate-key", path);
        Assert.Equal(1, again);
        Assert.Contains("already exists", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_or_invalid_worker_key_exits_1_naming_the_file_and_the_fix()
    {
        var missing = Path.Combine(dir, "nope.pem");
        var (code, _, error) = await Server("--worker-key", missing, "--port", "1");
        Assert.Equal(1, code);
        Assert.Contains(missing, error, StringComparison.Ordinal);
        Assert.Contains("--generate-key", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_accepts_a_genuine_status_and_rejects_tampering_and_the_wrong_worker()
    {
        using var signer = Ed25519Signer.Generate();
        var receipt = Receipt.Create(signer, new ReceiptFields("job-x", new string('a', 64), "completed", 0, null, 0.5, 1024, 12,
            new Dictionary<string, string> { ["out.txt"] = new string('b', 64) }, DateTimeOffset.UnixEpoch))!;
        var status = new JsonObject
        {
            ["job_id"] = "job-x",
            ["status"] = "completed",
            ["failure_reason"] = null,
            ["execution_metadata"] = new JsonObject { ["cpu_seconds"] = 0.5, ["memory_peak_bytes"] = 1024, ["wall_time_ms"] = 12, ["exit_code"] = 0, ["signal"] = null },
            ["job_hash"] = new string('a', 64),
            ["output_files"] = new JsonObject { ["out.txt"] = new JsonObject { ["path"] = "out.txt", ["size_bytes"] = 3, ["sha256_hash"] = new string('b', 64) } },
            ["worker_metadata"] = new JsonObject { ["worker_id"] = receipt.WorkerId, ["algorithm"] = "Ed25519", ["receipt"] = receipt.Text, ["signature"] = receipt.Signature },
        };
        var good = Path.Combine(dir, "status.json");
        await File.WriteAllTextAsync(good, status.ToJsonString());
        Assert.Equal(0, (await Server("verify", "--status", good)).Code);
        Assert.Equal(0, (await Server("verify", "--status", good, "--worker-id", receipt.WorkerId)).Code);

        using var other = Ed25519Signer.Generate();
        var (wrongWorker, _, wrongError) = await Server("verify", "--status", good, "--worker-id", other.WorkerId!);
        Assert.Equal(1, wrongWorker);
        Assert.Contains("not by the expected worker", wrongError, StringComparison.Ordinal);

        // A status that reports other than what the receipt signs: a different output file.
        status["output_files"]!["out.txt"]!["sha256_hash"] = new string('c', 64);
        var lying = Path.Combine(dir, "lying.json");
        await File.WriteAllTextAsync(lying, status.ToJsonString());
        var (lie, _, lieError) = await Server("verify", "--status", lying);
        Assert.Equal(1, lie);
        Assert.Contains("the server's output 'out.txt' is not the file the receipt signs", lieError, StringComparison.Ordinal);

        status["worker_metadata"]!["receipt"] = receipt.Text.Replace("\"completed\"", "\"failed\"", StringComparison.Ordinal);
        var tampered = Path.Combine(dir, "tampered.json");
        await File.WriteAllTextAsync(tampered, status.ToJsonString());
        Assert.Equal(1, (await Server("verify", "--status", tampered)).Code);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Server(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["exec", dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await stdout, await stderr);
    }
}
