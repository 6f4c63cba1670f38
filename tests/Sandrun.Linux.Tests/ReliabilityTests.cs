using System.Collections.Concurrent;
using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>
/// The spawn path never runs managed code in the child, so heavy GC in the parent cannot hang or break it:
/// thousands of spawns while another thread allocates, sequentially and 8 at a time.
/// </summary>
[Collection("sandbox")]
public sealed class ReliabilityTests(SandboxFixture f)
{
    private const int Spawns = 2000;

    [Fact]
    public async Task Two_thousand_sequential_spawns_under_allocation_pressure_all_succeed()
    {
        using var ws = f.NewWorkspace(1 << 20);
        using var pressure = new AllocationPressure();
        var failures = 0;
        for (var i = 0; i < Spawns; i++)
        {
            failures += await SpawnTrue(ws.Path) ? 0 : 1;
        }

        Assert.Equal(0, failures);
        Assert.True(pressure.Collections > 10, $"allocation thread caused {pressure.Collections} GCs");
    }

    [Fact]
    public async Task Two_thousand_concurrent_spawns_eight_at_a_time_under_allocation_pressure_all_succeed()
    {
        // A workspace belongs to one running job: one per lane.
        var lanes = new ConcurrentBag<Workspace.TmpfsWorkspace>(Enumerable.Range(0, 8).Select(_ => f.NewWorkspace(1 << 20)));
        using var pressure = new AllocationPressure();
        var failures = 0;
        await Parallel.ForAsync(0, Spawns, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            lanes.TryTake(out var ws);
            try
            {
                if (!await SpawnTrue(ws!.Path))
                {
                    Interlocked.Increment(ref failures);
                }
            }
            finally
            {
                lanes.Add(ws!);
            }
        });
        foreach (var ws in lanes)
        {
            ws.Dispose();
        }

        Assert.Equal(0, failures);
        Assert.Empty(LeakChecks.JobProcesses(f.Options.HostIdBase));
        Assert.InRange(LeakChecks.JobCgroups(f.Options, allowPooled: 4).Count, 0, 4);
    }

    /// <summary>One /bin/true with full isolation; a hang (no exit within 20 s) counts as a failure.</summary>
    private async Task<bool> SpawnTrue(string workspace)
    {
        var spec = new SandboxSpec(["/bin/true"], workspace, SandboxFixture.Limits);
        try
        {
            var result = await f.Sandbox.RunAsync(spec, NullOutputSink.Instance).WaitAsync(TimeSpan.FromSeconds(20));
            return result.Succeeded;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private sealed class AllocationPressure : IDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly Thread thread;
        private readonly int startCollections = GC.CollectionCount(0);

        public AllocationPressure()
        {
            thread = new Thread(() =>
            {
                var keep = new object[1024];
                var random = new Random(1);
                while (!stop.IsCancellationRequested)
                {
                    keep[random.Next(keep.Length)] = new byte[random.Next(16, 4096)];
                }
            })
            { IsBackground = true };
            thread.Start();
        }

        public int Collections => GC.CollectionCount(0) - startCollections;

        public void Dispose()
        {
            stop.Cancel();
            thread.Join();
            stop.Dispose();
        }
    }
}
