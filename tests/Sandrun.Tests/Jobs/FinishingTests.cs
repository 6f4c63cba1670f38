using System.Collections.Concurrent;
using System.Text.Json;
using Sandrun.Abstractions;
using Sandrun.Jobs;
using Sandrun.Receipts;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// A job ends in one place, once: its receipt and result are in place before anyone can see its final status, and
/// however its ending races a deletion, it ends once, its data goes once, and its quota slot comes back once.
/// </summary>
public sealed class FinishingTests
{
    [Fact]
    public async Task The_receipt_is_signed_while_the_status_is_not_yet_final()
    {
        var signer = new ObservingSigner();
        await using var harness = await EngineHarness.StartHeldAsync(signer: signer);
        signer.Observe = id => harness.Engine.TryGet(id, out var job) ? job.Status : null;

        var completed = await harness.FinishJobAsync();
        var failed = await harness.FinishJobAsync(2);

        Assert.Equal([JobStatus.Running, JobStatus.Running], signer.Seen);
        Assert.Equal("completed", JsonDocument.Parse(completed.Receipt!.Text).RootElement.GetProperty("status").GetString());
        Assert.Equal("failed", JsonDocument.Parse(failed.Receipt!.Text).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Whoever_sees_a_final_status_also_sees_the_receipt_result_and_outputs()
    {
        const int Jobs = 40;

        // A slow signer widens the window in which a status set too early would show without its receipt.
        await using var harness = await EngineHarness.StartAsync(
            new EngineHarness.ActionSandbox(workspace => File.WriteAllText(Path.Combine(workspace, "out.txt"), "x")), signer: new ObservingSigner { Delay = TimeSpan.FromMilliseconds(2) });
        var jobs = new ConcurrentQueue<Job>();
        var violations = 0;
        var done = false;
        // Its own thread: on a busy pool it might otherwise start only after the jobs have finished.
        var poller = Task.Factory.StartNew(() =>
        {
            while (!Volatile.Read(ref done))
            {
                foreach (var job in jobs)
                {
                    if (job.IsFinished && (job.Receipt is null || job.Result is null || job.FinishedAt is null || job.Outputs.Count != 1))
                    {
                        Interlocked.Increment(ref violations);
                    }
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        for (var i = 0; i < Jobs; i++)
        {
            jobs.Enqueue(await harness.SubmitAsync());
        }

        await Task.WhenAll(jobs.Select(j => j.Completion)).WaitAsync(EngineHarness.Patience);
        Volatile.Write(ref done, true);
        await poller;
        Assert.Equal(0, violations);
        Assert.All(jobs, j => Assert.Equal(JobStatus.Completed, j.Status));
    }

    [Fact]
    public async Task A_signer_failure_fails_the_job_without_a_receipt_and_still_ends_it()
    {
        await using var harness = await EngineHarness.StartHeldAsync(signer: new ObservingSigner { Fail = true });
        var job = await harness.FinishJobAsync();

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(FailureReason.SetupError, job.FailureReason);
        Assert.Equal("internal error while finishing the job", job.SetupError);
        Assert.Null(job.Receipt);
        Assert.Equal(0, harness.ActiveJobs());
        Assert.Contains($"Job {job.Id}: its receipt could not be signed: CryptographicException", harness.LogText, StringComparison.Ordinal);
    }

    public enum Race
    {
        /// <summary>The run ends and the job is deleted at once, before its worker has seen the end.</summary>
        DeletedAsTheRunEnds,

        /// <summary>The job is deleted while the finisher is ending it (from inside the signer).</summary>
        DeletedWhileFinishing,

        /// <summary>The run's end and the deletion race from two threads, many times.</summary>
        Concurrent,
    }

    [Theory]
    [InlineData(Race.DeletedAsTheRunEnds)]
    [InlineData(Race.DeletedWhileFinishing)]
    [InlineData(Race.Concurrent)]
    public async Task A_job_deleted_as_its_run_ends_ends_once(Race race)
    {
        var signer = new ObservingSigner();
        await using var harness = await EngineHarness.StartHeldAsync(o => o.Workers = 2, signer: signer);
        if (race == Race.DeletedWhileFinishing)
        {
            signer.Observe = id => harness.Engine.Delete(id) ? null : throw new InvalidOperationException("the job was gone while it was being signed");
        }

        // Holds the other worker and one slot of the client's quota for the whole test.
        var (sentinel, _) = await harness.StartJobAsync();
        for (var i = 0; i < (race == Race.Concurrent ? 30 : 1); i++)
        {
            var (job, run) = await harness.StartJobAsync();
            if (race == Race.Concurrent)
            {
                using var start = new Barrier(2);
                await Task.WhenAll(
                    Task.Run(() =>
                    {
                        start.SignalAndWait();
                        run.Exit(0);
                    }),
                    Task.Run(() =>
                    {
                        start.SignalAndWait();
                        Assert.True(harness.Engine.Delete(job.Id));
                    }));
            }
            else
            {
                run.Exit(0);
                Assert.True(race != Race.DeletedAsTheRunEnds || harness.Engine.Delete(job.Id));
            }

            await job.Completion.WaitAsync(EngineHarness.Patience);
            Assert.False(harness.Engine.TryGet(job.Id, out _));
            Assert.Equal(1, harness.ActiveJobs());
            Assert.Equal([sentinel.Id], harness.Workspaces);
            Assert.True(harness.Log.GetSnapshot().Count(r => r.Message.StartsWith($"Job {job.Id} completed", StringComparison.Ordinal)) <= 1);
        }

        Assert.DoesNotContain("could not be", harness.LogText, StringComparison.Ordinal);
    }

    /// <summary>Signs with a real key, noting the job's status as the engine shows it at that moment; or fails.</summary>
    private sealed class ObservingSigner : IResultSigner
    {
        private readonly Ed25519Signer key = Ed25519Signer.Generate();

        public Func<string, JobStatus?>? Observe { get; set; }

        public bool Fail { get; init; }

        public TimeSpan Delay { get; init; }

        public ConcurrentQueue<JobStatus?> Seen { get; } = new();

        public string? WorkerId => key.WorkerId;

        public string Algorithm => key.Algorithm;

        public byte[]? Sign(ReadOnlySpan<byte> data)
        {
            if (Fail)
            {
                throw new System.Security.Cryptography.CryptographicException("the key is gone");
            }

            Thread.Sleep(Delay);
            var jobId = JsonDocument.Parse(data.ToArray()).RootElement.GetProperty("job_id").GetString()!;
            Seen.Enqueue(Observe?.Invoke(jobId));
            return key.Sign(data);
        }
    }
}
