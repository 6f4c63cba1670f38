using Microsoft.Extensions.Time.Testing;
using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>A finished job's data lives exactly as long as its retention (SPEC.md §5), counted on the engine's clock.</summary>
public sealed class RetentionTests
{
    private static readonly TimeSpan AfterCompletion = TimeSpan.FromMinutes(60);
    private static readonly TimeSpan AfterFailure = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(0, JobStatus.Completed)]
    [InlineData(3, JobStatus.Failed)]
    public async Task A_finished_job_is_deleted_exactly_when_its_retention_ends_and_not_before(int exitCode, JobStatus status)
    {
        var time = new FakeTimeProvider();
        await using var harness = await StartAsync(time);
        var job = await harness.FinishJobAsync(exitCode);
        Assert.Equal(status, job.Status);

        time.Advance((status == JobStatus.Completed ? AfterCompletion : AfterFailure) - TimeSpan.FromTicks(1));
        Assert.True(harness.Engine.TryGet(job.Id, out _));
        Assert.True(Directory.Exists(harness.WorkspaceOf(job)));

        time.Advance(TimeSpan.FromTicks(1));
        Assert.False(harness.Engine.TryGet(job.Id, out _));
        Assert.False(Directory.Exists(harness.WorkspaceOf(job)));
        Assert.Empty(harness.Workspaces);
    }

    [Fact]
    public async Task Retention_starts_when_the_job_finishes_not_when_it_was_submitted()
    {
        var time = new FakeTimeProvider();
        await using var harness = await StartAsync(time);
        var (job, run) = await harness.StartJobAsync();

        // Running (and queued) jobs never expire, however long they take.
        time.Advance(AfterCompletion * 3);
        Assert.True(harness.Engine.TryGet(job.Id, out _));

        run.Exit(0);
        await job.Completion.WaitAsync(EngineHarness.Patience);
        time.Advance(AfterCompletion - TimeSpan.FromSeconds(1));
        Assert.True(harness.Engine.TryGet(job.Id, out _));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(harness.Engine.TryGet(job.Id, out _));
    }

    [Fact]
    public async Task A_job_deleted_after_its_download_is_gone_at_once_and_its_expiry_later_does_nothing()
    {
        var time = new FakeTimeProvider();
        await using var harness = await StartAsync(time);
        var job = await harness.FinishJobAsync();

        Assert.True(harness.Engine.Delete(job.Id));
        Assert.False(harness.Engine.TryGet(job.Id, out _));
        Assert.False(Directory.Exists(harness.WorkspaceOf(job)));
        Assert.False(harness.Engine.Delete(job.Id));

        time.Advance(AfterCompletion * 2);
        Assert.Single(harness.Log.GetSnapshot(), r => r.Message == $"Job {job.Id} deleted");
    }

    private static Task<EngineHarness> StartAsync(FakeTimeProvider time) =>
        EngineHarness.StartHeldAsync(o =>
        {
            o.Retention.AfterCompletion = AfterCompletion;
            o.Retention.AfterFailure = AfterFailure;
        }, time);
}
