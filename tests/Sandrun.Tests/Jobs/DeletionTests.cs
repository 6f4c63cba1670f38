using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>Deleting a job leaves nothing behind, whether it waits, runs or has finished (SPEC.md §5).</summary>
public sealed class DeletionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Deleting_a_running_job_cancels_its_run_removes_its_workspace_and_gives_its_quota_back()
    {
        var sandbox = new HeldSandbox();
        await using var harness = await EngineHarness.StartAsync(sandbox);
        var job = await harness.SubmitAsync();
        var run = await sandbox.NextAsync();
        Assert.Equal(JobStatus.Running, job.Status);
        Assert.Equal(1, harness.Engine.RunningJobs);

        Assert.True(harness.Engine.Delete(job.Id));
        Assert.False(harness.Engine.TryGet(job.Id, out _));
        await job.Completion.WaitAsync(Patience);

        Assert.True(run.Cancelled);
        Assert.False(Directory.Exists(harness.WorkspaceOf(job)));
        Assert.Equal(0, harness.ActiveJobs());
        Assert.Equal(0, harness.Engine.RunningJobs);
        Assert.Null(job.Receipt);
        Assert.False(job.IsFinished);
        Assert.False(harness.Engine.Delete(job.Id));

        // The worker carries on with the next job.
        var next = await harness.SubmitAsync();
        (await sandbox.NextAsync()).Exit(0);
        await next.Completion.WaitAsync(Patience);
        Assert.Equal(JobStatus.Completed, next.Status);
    }

    [Fact]
    public async Task Deleting_a_queued_job_ends_it_at_once_and_no_worker_runs_it()
    {
        var sandbox = new HeldSandbox();
        await using var harness = await EngineHarness.StartAsync(sandbox);
        var first = await harness.SubmitAsync();
        var run = await sandbox.NextAsync();
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
        await first.Completion.WaitAsync(Patience);
        var third = await harness.SubmitAsync();
        Assert.Equal(third.Id, (await sandbox.NextAsync()).JobId);
        Assert.Equal(2, sandbox.Started);
    }

    [Fact]
    public async Task Stopping_the_server_kills_running_jobs_and_deletes_every_job()
    {
        var sandbox = new HeldSandbox();
        var harness = await EngineHarness.StartAsync(sandbox);
        await using (harness)
        {
            var finished = await harness.SubmitAsync();
            (await sandbox.NextAsync()).Exit(0);
            await finished.Completion.WaitAsync(Patience);
            var running = await harness.SubmitAsync();
            var run = await sandbox.NextAsync();
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
}
