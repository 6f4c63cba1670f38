using System.Collections.Concurrent;
using System.Diagnostics;
using Sandrun.Linux.Execution;

namespace Sandrun.Linux.Tests.Execution;

/// <summary>
/// JobThreads hands every job to a thread: a parked one or a new one. A job that no thread picks up would sit
/// "running" with no thread to spawn it and no wall timeout, so every hand-off is checked under the worst timing.
/// </summary>
public sealed class JobThreadsTests
{
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(3);

    [Fact]
    public void Every_job_starts_while_parked_threads_time_out_as_jobs_arrive()
    {
        // A tiny idle timeout makes parked threads give up at the very moments Run hands out work. Each round
        // leaves two parked threads, waits about one timeout, then submits blockers that hold their thread
        // until the round ends: a lost hand-off leaves one of them waiting for a thread that never comes.
        var threads = new JobThreads(TimeSpan.FromMilliseconds(1));
        var random = new Random(42);
        var deadline = Stopwatch.StartNew();
        var rounds = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            rounds++;
            using (var quick = new CountdownEvent(2))
            {
                threads.Run(() => quick.Signal());
                threads.Run(() => quick.Signal());
                Assert.True(quick.Wait(StartBound), $"round {rounds}: a short job did not run");
            }

            Thread.SpinWait(random.Next(0, 4000));
            // Not disposed: a job that starts late (the failure this test looks for) still touches them.
            var release = new ManualResetEventSlim();
            var started = new CountdownEvent(3);
            for (var i = 0; i < 3; i++)
            {
                threads.Run(() =>
                {
                    started.Signal();
                    release.Wait();
                });
            }

            var allStarted = started.Wait(StartBound);
            var waiting = started.CurrentCount;
            release.Set();
            Assert.True(allStarted, $"round {rounds}: {waiting} of 3 jobs did not start within {StartBound.TotalSeconds} s");
        }
    }

    [Fact]
    public void Parked_threads_are_reused_and_idle_ones_exit()
    {
        var threads = new JobThreads(TimeSpan.FromMilliseconds(200));
        var seen = new ConcurrentBag<Thread>();
        for (var i = 0; i < 20; i++)
        {
            using var done = new ManualResetEventSlim();
            threads.Run(() =>
            {
                seen.Add(Thread.CurrentThread);
                done.Set();
            });
            Assert.True(done.Wait(StartBound));
            Thread.Sleep(5);
        }

        // Sequential jobs well within the idle timeout reuse one warm thread.
        Assert.Single(seen.Distinct());

        var before = seen.First();
        Thread.Sleep(1000);
        using var later = new ManualResetEventSlim();
        Thread? laterThread = null;
        threads.Run(() =>
        {
            laterThread = Thread.CurrentThread;
            later.Set();
        });
        Assert.True(later.Wait(StartBound));

        // After the idle timeout the parked thread has exited: a new one ran the job.
        Assert.NotSame(before, laterThread);
        Assert.False(before.IsAlive);
    }
}
