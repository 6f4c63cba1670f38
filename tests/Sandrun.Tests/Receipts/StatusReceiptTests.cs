using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.Receipts;

namespace Sandrun.Tests.Receipts;

/// <summary>The one check every reader of a status makes: the receipt is genuine and signs each fact the status reports.</summary>
public sealed class StatusReceiptTests : IDisposable
{
    private readonly Ed25519Signer signer = Ed25519Signer.Generate();

    public void Dispose() => signer.Dispose();

    [Fact]
    public void A_genuine_status_is_valid_and_names_its_signer()
    {
        var check = StatusReceipt.Check(Parse(Status()), signer.WorkerId);
        Assert.True(check.Valid, check.Message);
        Assert.Equal(signer.WorkerId, check.WorkerId);
        Assert.StartsWith("job-x failed, exit 3, signed by worker", check.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "\"completed\"", "the server reports status 'completed' but the receipt signs 'failed'")]
    [InlineData("failure_reason", "null", "the server reports failure_reason '' but the receipt signs 'exit_code'")]
    [InlineData("job_hash", "\"0000\"", "the server reports job_hash '0000'")]
    [InlineData("execution_metadata.exit_code", "0", "the server reports exit_code 0 but the receipt signs 3")]
    [InlineData("execution_metadata.cpu_seconds", "0.01", "the server reports cpu_seconds 0.01 but the receipt signs 0.25")]
    [InlineData("execution_metadata.memory_peak_bytes", "1", "the server reports memory_peak_bytes 1")]
    [InlineData("execution_metadata.wall_time_ms", "\"40\"", "the server reports wall_time_ms '40' but the receipt signs 40")]
    [InlineData("output_files.out.txt", "{\"sha256_hash\":\"cc\"}", "the server's output 'out.txt' is not the file the receipt signs")]
    [InlineData("output_files.extra.bin", "{\"sha256_hash\":\"dd\"}", "the server reports output files that the receipt does not sign")]
    [InlineData("job_id", "\"job-y\"", "the receipt is for job job-x, not job-y")]
    public void A_status_that_reports_other_than_the_receipt_signs_is_invalid(string field, string value, string message)
    {
        var status = Status();
        var path = field.Split('.', 2);
        var target = path.Length == 2 ? status[path[0]]!.AsObject() : status;
        target[path[^1]] = JsonNode.Parse(value);
        var check = StatusReceipt.Check(Parse(status));
        Assert.False(check.Valid);
        Assert.Contains(message, check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_compare_by_value_and_a_pool_may_report_its_own_id()
    {
        var status = Status();
        status["execution_metadata"]!["wall_time_ms"] = JsonNode.Parse("40.0");
        status["job_id"] = "job-pool";
        status["pool_metadata"] = new JsonObject { ["worker_job_id"] = "job-x" };
        Assert.True(StatusReceipt.Check(Parse(status)).Valid);
        Assert.True(StatusReceipt.Check(Parse(status), signer.WorkerId, "job-x").Valid);
        Assert.False(StatusReceipt.Check(Parse(status), signer.WorkerId, "job-other").Valid);
    }

    [Fact]
    public void Another_key_a_forged_signature_or_no_receipt_is_invalid()
    {
        using var other = Ed25519Signer.Generate();
        Assert.Contains("not by the expected worker", StatusReceipt.Check(Parse(Status()), other.WorkerId).Message, StringComparison.Ordinal);

        var forged = Status();
        var receipt = forged["worker_metadata"]!["receipt"]!.GetValue<string>();
        forged["worker_metadata"]!["receipt"] = receipt.Replace("\"exit_code\":3", "\"exit_code\":0", StringComparison.Ordinal);
        Assert.Equal("the signature does not match the receipt and worker id", StatusReceipt.Check(Parse(forged)).Message);

        var anonymous = Status();
        anonymous["worker_metadata"] = new JsonObject { ["worker_id"] = null, ["receipt"] = null, ["signature"] = null };
        Assert.False(StatusReceipt.Check(Parse(anonymous)).Valid);
        Assert.False(StatusReceipt.Check(Parse(new JsonObject())).Valid);
    }

    private static JsonElement Parse(JsonObject status) => JsonDocument.Parse(status.ToJsonString()).RootElement;

    private JsonObject Status()
    {
        var receipt = Receipt.Create(signer, new ReceiptFields("job-x", new string('a', 64), "failed", 3, "exit_code", 0.25, 4096, 40,
            new Dictionary<string, string> { ["out.txt"] = new string('b', 64) }, DateTimeOffset.UnixEpoch))!;
        return new JsonObject
        {
            ["job_id"] = "job-x",
            ["status"] = "failed",
            ["failure_reason"] = "exit_code",
            ["execution_metadata"] = new JsonObject { ["cpu_seconds"] = 0.25, ["memory_peak_bytes"] = 4096, ["wall_time_ms"] = 40, ["exit_code"] = 3, ["signal"] = null },
            ["job_hash"] = new string('a', 64),
            ["output_files"] = new JsonObject { ["out.txt"] = new JsonObject { ["path"] = "out.txt", ["sha256_hash"] = new string('b', 64) } },
            ["worker_metadata"] = new JsonObject { ["worker_id"] = receipt.WorkerId, ["algorithm"] = "Ed25519", ["receipt"] = receipt.Text, ["signature"] = receipt.Signature },
        };
    }
}
