using Sandrun.Intake;
using Sandrun.Jobs;
using Sandrun.Manifest;

namespace Sandrun.Tests.Jobs;

/// <summary>The engine never runs a job that needs a GPU without one, and says so when a GPU was only wished for.</summary>
public sealed class GpuRequestTests
{
    [Fact]
    public async Task A_required_GPU_is_refused_at_submission_naming_the_field()
    {
        await using var harness = await EngineHarness.StartAsync(_ => Assert.Fail("a job that needs a GPU must not run"));
        using var content = new MemoryStream("print(1)"u8.ToArray());
        var error = await Assert.ThrowsAsync<SubmitException>(() => harness.Engine.SubmitAsync(
            new SubmitRequest("test", [new UploadPart("main.py", content)], """{"gpu": {"required": true}}"""), CancellationToken.None));

        Assert.Equal(SubmitRefusal.InvalidManifest, error.Kind);
        Assert.StartsWith("gpu.required: this server does not give GPUs to jobs", error.Details, StringComparison.Ordinal);
        Assert.Equal(0, harness.Engine.QueueLength);
    }

    [Fact]
    public async Task An_optional_GPU_runs_the_job_without_one_and_notes_it()
    {
        await using var harness = await EngineHarness.StartAsync(_ => { });
        var job = await harness.RunAsync("""{"gpu": {"required": false, "device_id": 0}}""");

        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Equal([GpuRequest.NotGivenNote], job.Notes);
        Assert.NotNull(job.Receipt);

        var plain = await harness.RunAsync("{}");
        Assert.Empty(plain.Notes);
    }
}
