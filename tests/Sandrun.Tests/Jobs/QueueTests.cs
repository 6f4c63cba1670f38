using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// Jobs run in the order they were admitted, and a full queue refuses with a retry hint; the same whether the next job
/// is set up while the one ahead runs (a sandbox honouring the start gate, OverlapSetup's default) or not.
/// </summary>
public sealed class QueueTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Queued_jobs_run_first_in_first_out_and_know_their_position(bool overlap)
    {
        await using var harness = await EngineHarness.StartHeldAsync(honoursStartGate: overlap);
        var (first, run) = await harness.StartJobAsync();
        var queued = new List<Job>();
        for (var i = 0; i < 3; i++)
        {
            queued.Add(await harness.SubmitAsync());
        }

        if (overlap)
        {
            Assert.Equal([first.Id, queued[0].Id], [await harness.Held.NextPreparedAsync(), await harness.Held.NextPreparedAsync()]);
        }

        Assert.Equal(0, harness.Engine.PositionOf(first.Id));
        Assert.Equal([1, 2, 3], queued.Select(j => harness.Engine.PositionOf(j.Id)));
        Assert.Equal(3, harness.Engine.QueueLength);
        Assert.All(queued, j => Assert.Equal(JobStatus.Queued, j.Status));

        run.Exit(0);
        foreach (var job in queued)
        {
            run = await harness.Held.NextAsync();
            Assert.Equal(job.Id, run.JobId);
            run.Exit(0);
        }

        await Task.WhenAll(queued.Select(j => j.Completion)).WaitAsync(EngineHarness.Patience);
        Assert.Equal(0, harness.Engine.QueueLength);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_full_queue_refuses_until_a_place_frees_up(bool overlap)
    {
        await using var harness = await EngineHarness.StartHeldAsync(o => o.QueueCapacity = 2, honoursStartGate: overlap);
        await harness.StartJobAsync();
        var second = await harness.SubmitAsync();
        await harness.SubmitAsync();
        if (overlap)
        {
            await harness.Held.NextPreparedAsync();
            Assert.Equal(second.Id, await harness.Held.NextPreparedAsync());
        }

        var error = await Assert.ThrowsAsync<SubmitException>(() => harness.SubmitAsync());
        Assert.Equal(SubmitRefusal.QueueFull, error.Kind);
        Assert.Equal(TimeSpan.FromSeconds(10), error.RetryAfter);
        Assert.Equal("2 jobs are waiting; try again later", error.Details);

        Assert.True(harness.Engine.Delete(second.Id));
        var admitted = await harness.SubmitAsync();
        Assert.Equal(2, harness.Engine.PositionOf(admitted.Id));
    }
}
