using Sandrun.Abstractions;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// However a job ends, its client's quota gets its slot back exactly once: a second job of the same client stays
/// counted throughout, so a slot given back twice shows as a count one too low.
/// </summary>
public sealed class QuotaReleaseTests
{
    public enum Ending
    {
        Completed,
        Failed,
        SetupError,
        EngineError,
        DeletedWhileRunning,
        DeletedWhileQueued,
    }

    [Theory]
    [InlineData(Ending.Completed, JobStatus.Completed)]
    [InlineData(Ending.Failed, JobStatus.Failed)]
    [InlineData(Ending.SetupError, JobStatus.Failed)]
    [InlineData(Ending.EngineError, JobStatus.Failed)]
    [InlineData(Ending.DeletedWhileRunning, JobStatus.Running)]
    [InlineData(Ending.DeletedWhileQueued, JobStatus.Queued)]
    public async Task Every_ending_gives_the_slot_back_once(Ending ending, JobStatus status)
    {
        await using var harness = await EngineHarness.StartHeldAsync();
        var (first, run) = await harness.StartJobAsync();
        var second = await harness.SubmitAsync();
        Assert.Equal(2, harness.ActiveJobs());

        var job = ending == Ending.DeletedWhileQueued ? second : first;
        switch (ending)
        {
            case Ending.Completed:
                run.Exit(0);
                break;
            case Ending.Failed:
                run.Exit(1);
                break;
            case Ending.SetupError:
                run.Throw(new SandboxUnavailableException("no cgroup here"));
                break;
            case Ending.EngineError:
                run.Throw(new InvalidOperationException("a bug"));
                break;
            default:
                Assert.True(harness.Engine.Delete(job.Id));
                break;
        }

        await job.Completion.WaitAsync(EngineHarness.Patience);
        Assert.Equal(status, job.Status);
        Assert.Equal(1, harness.ActiveJobs());

        // The other job ends too: nothing stays counted.
        var other = job == first ? second : first;
        Assert.True(harness.Engine.Delete(other.Id));
        await other.Completion.WaitAsync(EngineHarness.Patience);
        Assert.Equal(0, harness.ActiveJobs());
    }

    [Fact]
    public async Task Refused_submissions_give_the_slot_back_and_leave_no_workspace()
    {
        await using var harness = await EngineHarness.StartHeldAsync(o => o.QueueCapacity = 1);
        var (running, _) = await harness.StartJobAsync();
        var queued = await harness.SubmitAsync();

        var full = await Assert.ThrowsAsync<SubmitException>(() => harness.SubmitAsync());
        Assert.Equal(SubmitRefusal.QueueFull, full.Kind);
        var invalid = await Assert.ThrowsAsync<SubmitException>(() => harness.SubmitAsync("""{"timeout": "soon"}"""));
        Assert.Equal(SubmitRefusal.InvalidManifest, invalid.Kind);
        using var empty = new MemoryStream();
        var upload = await Assert.ThrowsAsync<SubmitException>(() => harness.Engine.SubmitAsync(
            new SubmitRequest(EngineHarness.Client, [new UploadPart("../escape.py", empty)], "{}"), CancellationToken.None));
        Assert.Equal(SubmitRefusal.InvalidUpload, upload.Kind);

        Assert.Equal(2, harness.ActiveJobs());
        Assert.Equal(new[] { running.Id, queued.Id }.Order(StringComparer.Ordinal), harness.Workspaces);
    }

    [Fact]
    public async Task The_CPU_a_run_used_is_charged_to_its_client()
    {
        await using var harness = await EngineHarness.StartHeldAsync();
        var (job, run) = await harness.StartJobAsync();
        run.Spec.CpuProgress!(TimeSpan.FromSeconds(2));
        run.Exit(0);
        await job.Completion.WaitAsync(EngineHarness.Patience);

        // The run reported 2 s while running; its result says 3 ms in all, which is less: nothing more is charged.
        Assert.Equal(2, harness.Quotas.Snapshot(EngineHarness.Client).UsedCpuSeconds, 3);
    }
}
