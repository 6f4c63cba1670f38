using System.Text;
using System.Text.Json;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>A trusted caller (the broker's node) submits under its own job id, and the receipt names that id.</summary>
public sealed class ExternalIdTests
{
    [Fact]
    public async Task A_job_submitted_under_an_external_id_runs_under_it_and_its_receipt_names_it()
    {
        await using var harness = await EngineHarness.StartAsync(_ => { });
        var id = JobStore.NewId();

        var (admitted, _) = await harness.Engine.SubmitAsync(id, Request(), CancellationToken.None);

        Assert.Equal(id, admitted);
        Assert.True(harness.Engine.TryGet(id, out var job));
        await job.Completion.WaitAsync(EngineHarness.Patience);
        Assert.Equal(JobStatus.Completed, job.Status);
        Assert.Equal(id, JsonDocument.Parse(job.Receipt!.Text).RootElement.GetProperty("job_id").GetString());
    }

    [Fact]
    public async Task A_live_id_is_refused_and_the_live_job_is_untouched_until_deleted()
    {
        await using var harness = await EngineHarness.StartHeldAsync();
        var id = JobStore.NewId();
        await harness.Engine.SubmitAsync(id, Request(), CancellationToken.None);
        var run = await harness.Held.NextAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Engine.SubmitAsync(id, Request(), CancellationToken.None));
        Assert.True(harness.Engine.TryGet(id, out var live));
        Assert.Equal(JobStatus.Running, live.Status);
        Assert.Equal(1, harness.ActiveJobs());

        run.Exit(0);
        await live.Completion.WaitAsync(EngineHarness.Patience);
        Assert.True(harness.Engine.Delete(id));
        var (again, _) = await harness.Engine.SubmitAsync(id, Request(), CancellationToken.None);
        Assert.Equal(id, again);
    }

    [Theory]
    [InlineData("")]
    [InlineData("job-short")]
    [InlineData("job-UPPERCASEUPPERCASEUPPERCASE")]
    [InlineData("job-../../../../etc/passwd/aaaaaaaaa")]
    [InlineData("task-abcdefghijklmnopqrstuvwxyz")]
    public async Task A_malformed_id_is_refused_before_anything_is_created(string id)
    {
        await using var harness = await EngineHarness.StartAsync(_ => { });
        await Assert.ThrowsAsync<ArgumentException>(() => harness.Engine.SubmitAsync(id, Request(), CancellationToken.None));
        Assert.Empty(harness.Workspaces);
        Assert.Equal(0, harness.ActiveJobs());
    }

    private static SubmitRequest Request() =>
        new(EngineHarness.Client, [new UploadPart("main.py", new MemoryStream(Encoding.UTF8.GetBytes("print(1)")))], "{}");
}
