using System.Text.Json;
using Sandrun.Abstractions;
using Sandrun.Jobs;
using Sandrun.Receipts;
using Sandrun.Tests.Outputs;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// A job cannot make its own finalization fail: whatever tree it leaves, it ends with a signed receipt, its listable
/// outputs, and notes on the rest; and the server log never carries a name the job chose (SPEC.md §5).
/// </summary>
public sealed class OutputFinalizationTests
{
    // Every job-chosen name below carries this marker, so one search of the log finds any of them.
    private const string Marker = "q7zx";

    [Fact]
    public async Task A_hostile_workspace_tree_still_ends_in_a_signed_receipt_listing_the_normal_outputs()
    {
        await using var harness = await EngineHarness.StartAsync(workspace =>
        {
            using var root = HostileTree.Open(workspace);
            root.File("result.txt", "42");
            using (var output = root.Directory("out"))
            {
                output.File("data.csv", "a,b\n1,2\n");
            }

            using (var deep = root.Chain($"deep-{Marker}", 5000))
            {
                deep.File($"bottom-{Marker}.txt", "far below PATH_MAX");
            }

            root.File($"line\nbreak-{Marker}.txt", "newline");
            root.File([0xff, .. "-"u8, .. System.Text.Encoding.UTF8.GetBytes(Marker), 0], "not UTF-8");
            root.Fifo($"fifo-{Marker}");
            root.Symlink($"loop-b-{Marker}", $"loop-a-{Marker}");
            root.Symlink($"loop-a-{Marker}", $"loop-b-{Marker}");
            root.Symlink($"nowhere-{Marker}", $"dangling-{Marker}");
        });

        var job = await harness.RunAsync("{}");

        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Null(job.SetupError);
        Assert.Equal([$"line\nbreak-{Marker}.txt", "out/data.csv", "result.txt"], job.Outputs.Select(o => o.Path));
        Assert.Equal(["outputs: 2 files or directories were not considered: their path is longer than 1024 bytes or their name is not valid UTF-8"], job.Notes);
        var receipt = Assert.IsType<Receipt>(job.Receipt);
        Assert.True(ReceiptVerifier.Verify(receipt.Text, receipt.Signature, harness.Signer.WorkerId!));
        var signed = JsonDocument.Parse(receipt.Text).RootElement;
        Assert.Equal("completed", signed.GetProperty("status").GetString());
        Assert.Equal(3, signed.GetProperty("outputs").EnumerateObject().Count());
        Assert.DoesNotContain(Marker, harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_collection_failure_ends_the_job_failed_with_a_signed_receipt_and_no_path_in_the_log()
    {
        // The workspace root itself replaced by a symlink: collection cannot even open it.
        var target = Path.Combine(Path.GetTempPath(), $"elsewhere-{Marker}");
        await using var harness = await EngineHarness.StartAsync(workspace =>
        {
            Directory.Delete(workspace, recursive: true);
            File.CreateSymbolicLink(workspace, target);
        });

        var job = await harness.RunAsync("{}");

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(FailureReason.SetupError, job.FailureReason);
        Assert.Equal("the job's outputs could not be collected", job.SetupError);
        Assert.Empty(job.Outputs);
        var receipt = Assert.IsType<Receipt>(job.Receipt);
        Assert.True(ReceiptVerifier.Verify(receipt.Text, receipt.Signature, harness.Signer.WorkerId!));
        var signed = JsonDocument.Parse(receipt.Text).RootElement;
        Assert.Equal("failed", signed.GetProperty("status").GetString());
        Assert.Equal("setup_error", signed.GetProperty("failure_reason").GetString());
        Assert.Contains($"Job {job.Id}: its outputs could not be collected: IOException", harness.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, harness.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Root, harness.LogText, StringComparison.Ordinal);
    }
}
