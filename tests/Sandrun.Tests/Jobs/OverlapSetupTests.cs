using Microsoft.Extensions.Time.Testing;
using Sandrun.Abstractions;
using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// OverlapSetup (the default) with a sandbox that honours the start gate: the next job is set up while the program ahead
/// of it runs, yet clients see what they would without it. A job set up ahead stays queued in its place (positions,
/// queue length and capacity count it) until its program may start; only then is it running, with its start time.
/// </summary>
public sealed class OverlapSetupTests
{
    [Fact]
    public async Task A_job_set_up_ahead_stays_queued_in_its_place_until_the_program_ahead_ends()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var harness = await EngineHarness.StartHeldAsync(time: time, honoursStartGate: true);
        var (first, run) = await harness.StartJobAsync();
        Assert.Equal(first.Id, await harness.Held.NextPreparedAsync());
        var second = await harness.SubmitAsync();
        var third = await harness.SubmitAsync();
        Assert.Equal(second.Id, await harness.Held.NextPreparedAsync());

        // Its sandbox is being set up, its program has not started: queued, first in line, no start time.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(JobStatus.Queued, second.Status);
        Assert.Null(second.StartedAt);
        Assert.Equal([1, 2], [harness.Engine.PositionOf(second.Id), harness.Engine.PositionOf(third.Id)]);
        Assert.Equal(2, harness.Engine.QueueLength);
        Assert.Equal(1, harness.Engine.RunningJobs);
        Assert.Equal(1, harness.Held.Started);

        run.Exit(0);
        var next = await harness.Held.NextAsync();
        Assert.Equal(second.Id, next.JobId);
        Assert.Equal(JobStatus.Running, second.Status);
        Assert.Equal(time.GetUtcNow(), second.StartedAt);
        Assert.Equal(0, harness.Engine.PositionOf(second.Id));
        Assert.Equal(1, harness.Engine.PositionOf(third.Id));
        Assert.Equal(1, harness.Engine.QueueLength);
        Assert.Equal(third.Id, await harness.Held.NextPreparedAsync());
        Assert.Equal(JobStatus.Queued, third.Status);

        next.Exit(0);
        (await harness.Held.NextAsync()).Exit(0);
        await Task.WhenAll(first.Completion, second.Completion, third.Completion).WaitAsync(EngineHarness.Patience);
        Assert.All([first, second, third], j => Assert.Equal(JobStatus.Completed, j.Status));
        Assert.Equal(0, harness.Engine.QueueLength);
        Assert.Equal(0, harness.Engine.RunningJobs);
    }

    [Fact]
    public async Task With_two_workers_two_jobs_run_two_wait_set_up_and_positions_count_every_job_not_started()
    {
        await using var harness = await EngineHarness.StartHeldAsync(o => o.Workers = 2, honoursStartGate: true);
        var running = new[] { await harness.StartJobAsync(), await harness.StartJobAsync() };
        var queued = new List<Job>();
        for (var i = 0; i < 3; i++)
        {
            queued.Add(await harness.SubmitAsync());
        }

        // Two loops per worker: both running jobs' loops are busy, the other two take the next two jobs.
        var prepared = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 4; i++)
        {
            prepared.Add(await harness.Held.NextPreparedAsync());
        }

        Assert.Equal(new[] { running[0].Job.Id, running[1].Job.Id, queued[0].Id, queued[1].Id }.Order(StringComparer.Ordinal), prepared.Order(StringComparer.Ordinal));
        Assert.Equal([1, 2, 3], queued.Select(j => harness.Engine.PositionOf(j.Id)));
        Assert.All(queued, j => Assert.Equal(JobStatus.Queued, j.Status));
        Assert.Equal(3, harness.Engine.QueueLength);
        Assert.Equal(2, harness.Engine.RunningJobs);
        Assert.Equal(2, harness.Held.Started);

        foreach (var (job, run) in running)
        {
            run.Exit(0);
        }

        for (var i = 0; i < 3; i++)
        {
            (await harness.Held.NextAsync()).Exit(0);
        }

        await Task.WhenAll(queued.Select(j => j.Completion)).WaitAsync(EngineHarness.Patience);
        Assert.All(queued, j => Assert.Equal(JobStatus.Completed, j.Status));
    }

    [Fact]
    public async Task A_job_set_up_ahead_counts_against_the_queue_capacity()
    {
        await using var harness = await EngineHarness.StartHeldAsync(o => o.QueueCapacity = 2, honoursStartGate: true);
        await harness.StartJobAsync();
        await harness.Held.NextPreparedAsync();
        var second = await harness.SubmitAsync();
        Assert.Equal(second.Id, await harness.Held.NextPreparedAsync());
        await harness.SubmitAsync();

        var error = await Assert.ThrowsAsync<SubmitException>(() => harness.SubmitAsync());
        Assert.Equal(SubmitRefusal.QueueFull, error.Kind);
        Assert.Equal("2 jobs are waiting; try again later", error.Details);
    }

    [Fact]
    public async Task Deleting_a_job_set_up_ahead_tears_its_run_down_before_its_program_starts()
    {
        await using var harness = await EngineHarness.StartHeldAsync(honoursStartGate: true);
        var (first, run) = await harness.StartJobAsync();
        await harness.Held.NextPreparedAsync();
        var prepared = await harness.SubmitAsync();
        Assert.Equal(prepared.Id, await harness.Held.NextPreparedAsync());
        var behind = await harness.SubmitAsync();

        Assert.True(harness.Engine.Delete(prepared.Id));
        Assert.False(harness.Engine.TryGet(prepared.Id, out _));
        Assert.Equal(1, harness.Engine.PositionOf(behind.Id));
        await prepared.Completion.WaitAsync(EngineHarness.Patience);

        Assert.Equal(JobStatus.Queued, prepared.Status);
        Assert.Null(prepared.StartedAt);
        Assert.False(Directory.Exists(harness.WorkspaceOf(prepared)));
        Assert.Equal(1, harness.Held.Started);
        Assert.Equal(1, harness.Engine.RunningJobs);
        Assert.Equal(2, harness.ActiveJobs());
        Assert.Equal(JobStatus.Running, first.Status);

        // Its loop carries on: the job behind it is set up next and runs once the first ends.
        Assert.Equal(behind.Id, await harness.Held.NextPreparedAsync());
        Assert.Equal(JobStatus.Queued, behind.Status);
        run.Exit(0);
        var next = await harness.Held.NextAsync();
        Assert.Equal(behind.Id, next.JobId);
        next.Exit(0);
        await Task.WhenAll(first.Completion, behind.Completion).WaitAsync(EngineHarness.Patience);
        Assert.Equal(2, harness.Held.Started);
        Assert.Equal(0, harness.ActiveJobs());
    }

    [Fact]
    public async Task Stopping_the_server_tears_down_jobs_set_up_ahead_and_deletes_every_job()
    {
        await using var harness = await EngineHarness.StartHeldAsync(honoursStartGate: true);
        var (running, run) = await harness.StartJobAsync();
        await harness.Held.NextPreparedAsync();
        var prepared = await harness.SubmitAsync();
        Assert.Equal(prepared.Id, await harness.Held.NextPreparedAsync());
        var queued = await harness.SubmitAsync();

        await harness.StopAsync();

        Assert.True(run.Cancelled);
        Assert.All([running, prepared, queued], job =>
        {
            Assert.True(job.Completion.IsCompleted);
            Assert.False(harness.Engine.TryGet(job.Id, out _));
        });
        Assert.Equal(1, harness.Held.Started);
        Assert.Empty(harness.Workspaces);
        Assert.Equal(0, harness.ActiveJobs());
        Assert.Equal(0, harness.Engine.QueueLength);
        Assert.Equal(0, harness.Engine.RunningJobs);
    }

    [Fact]
    public async Task A_job_whose_sandbox_cannot_be_set_up_ahead_fails_at_once_without_waiting_for_the_program_ahead()
    {
        await using var harness = await EngineHarness.StartHeldAsync(honoursStartGate: true);
        var (first, run) = await harness.StartJobAsync();
        await harness.Held.NextPreparedAsync();
        harness.Held.NextSetupFails = new SandboxUnavailableException("no cgroup left");
        var failing = await harness.SubmitAsync();
        await failing.Completion.WaitAsync(EngineHarness.Patience);

        Assert.Equal(JobStatus.Failed, failing.Status);
        Assert.Equal(FailureReason.SetupError, failing.FailureReason);
        Assert.Equal("no cgroup left", failing.SetupError);
        Assert.NotNull(failing.StartedAt);
        Assert.NotNull(failing.Receipt);
        Assert.Equal(0, harness.Engine.QueueLength);
        Assert.Equal(1, harness.Engine.RunningJobs);
        Assert.Equal(JobStatus.Running, first.Status);

        run.Exit(0);
        await first.Completion.WaitAsync(EngineHarness.Patience);
        Assert.Equal(JobStatus.Completed, (await harness.FinishJobAsync()).Status);
        Assert.Equal(0, harness.Engine.RunningJobs);
    }

    [Fact]
    public async Task Without_overlap_a_taken_job_starts_at_once_and_leaves_the_queue()
    {
        await using var harness = await EngineHarness.StartHeldAsync(o => o.OverlapSetup = false, honoursStartGate: true);
        var (first, run) = await harness.StartJobAsync();
        Assert.Null(run.Spec.StartGate);
        var queued = await harness.SubmitAsync();
        Assert.Equal(JobStatus.Running, first.Status);
        Assert.Equal(1, harness.Engine.PositionOf(queued.Id));

        run.Exit(0);
        var next = await harness.Held.NextAsync();
        Assert.Equal(queued.Id, next.JobId);
        Assert.Equal(JobStatus.Running, queued.Status);
        Assert.Equal(0, harness.Engine.QueueLength);
        next.Exit(0);
        await queued.Completion.WaitAsync(EngineHarness.Patience);
    }
}
