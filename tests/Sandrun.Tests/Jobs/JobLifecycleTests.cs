using Microsoft.Extensions.Time.Testing;
using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>The claims on a job: whoever comes second to a job finds it taken, and says so.</summary>
public sealed class JobLifecycleTests
{
    [Fact]
    public void A_job_ends_once()
    {
        using var lifecycle = new JobLifecycle();
        Assert.True(lifecycle.TryStart());
        Assert.False(lifecycle.TryStart());
        Assert.True(lifecycle.TryEnd(out var deleted));
        Assert.False(deleted);
        Assert.False(lifecycle.TryEnd(out _));
        Assert.Equal(JobPhase.Ended, lifecycle.Delete());
    }

    [Fact]
    public void A_deleted_waiting_job_is_never_started_and_its_ender_learns_it_was_deleted()
    {
        using var lifecycle = new JobLifecycle();
        Assert.Equal(JobPhase.Waiting, lifecycle.Delete());
        Assert.False(lifecycle.TryStart());
        Assert.False(lifecycle.Deleted.IsCancellationRequested);
        Assert.True(lifecycle.TryEnd(out var deleted));
        Assert.True(deleted);
    }

    [Fact]
    public void Deleting_a_running_job_cancels_its_run()
    {
        using var lifecycle = new JobLifecycle();
        Assert.True(lifecycle.TryStart());
        Assert.Equal(JobPhase.Running, lifecycle.Delete());
        Assert.True(lifecycle.Deleted.IsCancellationRequested);
    }

    [Fact]
    public void Expiry_fires_after_its_delay_unless_the_job_was_deleted_first()
    {
        var time = new FakeTimeProvider();
        var expired = 0;
        using var kept = new JobLifecycle();
        kept.OnExpiry(() => expired++);
        kept.ExpireAfter(TimeSpan.FromMinutes(1), time);
        using var deleted = new JobLifecycle();
        deleted.OnExpiry(() => expired += 10);
        deleted.Delete();
        deleted.ExpireAfter(TimeSpan.FromMinutes(1), time);
        using var deletedLater = new JobLifecycle();
        deletedLater.OnExpiry(() => expired += 100);
        deletedLater.ExpireAfter(TimeSpan.FromMinutes(1), time);
        deletedLater.Delete();

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, expired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, expired);
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, expired);
    }
}
