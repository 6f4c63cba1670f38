using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>Deleting a job leaves nothing behind, whether it waits, runs or has finished (SPEC.md §5).</summary>
public sealed class DeletionTests
{
    [Fact]
    public async Task Deleting_a_running_job_cancels_its_run_removes_its_workspace_and_gives_its_quota_back()
    {
        await using var harness = await EngineHarness.StartHeldAsync();
        var (job, run) = await harness.StartJobAsync();
        Assert.Equal(JobStatus.Running, job.Status);
        Assert.Equal(1, harness.Engine.RunningJobs);

        Assert.True(harness.Engine.Delete(job.Id));
        Assert.False(harness.Engine.TryGet(job.Id, out _));
        await job.Completion.WaitAsync(EngineHarness.Patience);

        Assert.True(run.Cancelled);
        Assert.False(Directory.Exists(harness.WorkspaceOf(job)));
        Assert.Equal(0, harness.ActiveJobs());
        Assert.Equal(0, harness.Engine.RunningJobs);
        Assert.Null(job.Receipt);
        Assert.False(job.IsFinished);
        Assert.False(harness.Engine.Delete(job.Id));

        // The worker carries on with the next job.
        Assert.Equal(JobStatus.Completed, (await harness.FinishJobAsync()).Status);
    }

    [Fact]
    public async Task Deleting_a_queued_job_ends_it_at_once_and_no_worker_runs_it()
    {
        await using var harness = await EngineHarness.StartHeldAsync();
        var (first, run) = await harness.StartJobAsync();
        var queued = await harness.SubmitAsync();
        Assert.Equal(1, harness.Engine.PositionOf(queued.Id));
        Assert.Equal(2, harness.ActiveJobs());

        Assert.True(harness.Engine.Delete(queued.Id));

        Assert.True(queued.Completion.IsCompleted);
        Assert.Equal(JobStatus.Queued, queued.Status);
        Assert.Equal(0, harness.Engine.QueueLength);
        Assert.Equal(0, harness.Engine.PositionOf(queued.Id));
        Assert.False(Directory.Exists(harness.WorkspaceOf(queued)));
        Assert.Equal(1, harness.ActiveJobs());

        run.Exit(0);
        await first.Completion.WaitAsync(EngineHarness.Patience);
        await harness.FinishJobAsync();
        Assert.Equal(2, harness.Held.Started);
    }

    [Fact]
    public async Task Stopping_the_server_kills_running_jobs_and_deletes_every_job()
    {
        await using var harness = await EngineHarness.StartHeldAsync();
        var finished = await harness.FinishJobAsync();
        var (running, run) = await harness.StartJobAsync();
        var queued = await harness.SubmitAsync();

        await harness.StopAsync();

        Assert.True(run.Cancelled);
        Assert.All([finished, running, queued], job =>
        {
            Assert.True(job.Completion.IsCompleted);
            Assert.False(harness.Engine.TryGet(job.Id, out _));
        });
        Assert.Empty(harness.Workspaces);
        Assert.Equal(0, harness.ActiveJobs());
    }
}
