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
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_receipt_is_signed_while_the_status_is_not_yet_final()
    {
        var signer = new ObservingSigner();
        var sandbox = new HeldSandbox();
        await using var harness = await EngineHarness.StartAsync(sandbox, signer: signer);
        signer.Observe = id => harness.Engine.TryGet(id, out var job) ? job.Status : null;

        var completed = await harness.SubmitAsync();
        (await sandbox.NextAsync()).Exit(0);
        await completed.Completion.WaitAsync(Patience);
        var failed = await harness.SubmitAsync();
        (await sandbox.NextAsync()).Exit(2);
        await failed.Completion.WaitAsync(Patience);

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

        await Task.WhenAll(jobs.Select(j => j.Completion)).WaitAsync(Patience);
        Volatile.Write(ref done, true);
        await poller;
        Assert.Equal(0, violations);
        Assert.All(jobs, j => Assert.Equal(JobStatus.Completed, j.Status));
    }

    [Fact]
    public async Task A_signer_failure_fails_the_job_without_a_receipt_and_still_ends_it()
    {
        var sandbox = new HeldSandbox();
        await using var harness = await EngineHarness.StartAsync(sandbox, signer: new ObservingSigner { Fail = true });
        var job = await harness.SubmitAsync();
        (await sandbox.NextAsync()).Exit(0);
        await job.Completion.WaitAsync(Patience);

        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal(FailureReason.SetupError, job.FailureReason);
        Assert.Equal("internal error while finishing the job", job.SetupError);
        Assert.Null(job.Receipt);
        Assert.Equal(0, harness.ActiveJobs());
        Assert.Contains($"Job {job.Id}: its receipt could not be signed: CryptographicException", harness.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_ending_while_its_job_is_deleted_ends_it_once()
    {
        const int Rounds = 30;
        var sandbox = new HeldSandbox();
        await using var harness = await EngineHarness.StartAsync(sandbox, o => o.Workers = 2);

        // Holds the other worker and one slot of the client's quota for the whole test.
        var sentinel = await harness.SubmitAsync();
        await sandbox.NextAsync();
        for (var i = 0; i < Rounds; i++)
        {
            var job = await harness.SubmitAsync();
            var run = await sandbox.NextAsync();
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
            await job.Completion.WaitAsync(Patience);

            Assert.False(harness.Engine.TryGet(job.Id, out _));
            Assert.Equal(1, harness.ActiveJobs());
            Assert.Equal([sentinel.Id], harness.Workspaces);
            Assert.True(harness.Log.GetSnapshot().Count(r => r.Message.StartsWith($"Job {job.Id} completed", StringComparison.Ordinal)) <= 1);
        }

        Assert.DoesNotContain("could not be deleted", harness.LogText, StringComparison.Ordinal);
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
