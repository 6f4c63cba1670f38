using Sandrun.Abstractions;
using Sandrun.Jobs;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// A job's log keeps its bytes in anonymous RAM files, off the managed heap: every reader gets exactly the bytes
/// written, in order, per stream and interleaved, while the job writes and after; deleting the job frees them.
/// </summary>
public sealed class JobLogTests
{
    [Fact]
    public void Snapshots_give_exactly_the_bytes_written_interleaved_and_per_stream()
    {
        using var log = new JobLog();
        var (writes, interleaved, stdout, stderr) = Writes(seed: 1, count: 600);
        var half = writes.Count / 2;
        foreach (var (stream, data) in writes.Take(half))
        {
            log.OnOutput(stream, data);
        }

        // Mid-run: exactly what has been written so far.
        var (partAll, partOut, partErr) = log.Snapshot();
        var written = writes.Take(half).ToList();
        Same(written.SelectMany(w => w.Data), partAll);
        Same(written.Where(w => w.Stream == SandboxStream.Stdout).SelectMany(w => w.Data), partOut);
        Same(written.Where(w => w.Stream == SandboxStream.Stderr).SelectMany(w => w.Data), partErr);

        var soFar = log.ReadSoFar();
        foreach (var (stream, data) in writes.Skip(half))
        {
            log.OnOutput(stream, data);
        }

        // A read taken mid-run stops where the output was when it was taken.
        Same(partAll, soFar.SelectMany(c => c.Data));
        log.Complete(truncated: false);
        log.OnOutput(SandboxStream.Stdout, [1, 2, 3]);
        var (all, o, e) = log.Snapshot();
        Same(interleaved, all);
        Same(stdout, o);
        Same(stderr, e);
        Assert.False(log.Truncated);

        // Read in chunks, as /logs streams it: the same bytes each time, each chunk from one stream.
        var chunks = log.ReadSoFar();
        for (var pass = 0; pass < 2; pass++)
        {
            Same(interleaved, chunks.SelectMany(c => c.Data));
            Same(stdout, chunks.Where(c => c.Stream == SandboxStream.Stdout).SelectMany(c => c.Data));
        }
    }

    [Fact]
    public async Task A_subscriber_from_the_start_gets_every_chunk_in_order_while_the_writer_runs()
    {
        using var log = new JobLog();
        var (writes, interleaved, stdout, stderr) = Writes(seed: 2, count: 1500);
        using var early = log.Subscribe();
        var reading = ReadAllAsync(early);
        var writer = Task.Run(() =>
        {
            foreach (var (stream, data) in writes)
            {
                log.OnOutput(stream, data);
            }

            log.Complete(truncated: true);
        });

        // One subscriber joins mid-run, one after the end: both replay from the first byte.
        using var middle = log.Subscribe();
        var middleReading = ReadAllAsync(middle);
        await writer;
        using var late = log.Subscribe();
        foreach (var chunks in new[] { await reading, await middleReading, await ReadAllAsync(late) })
        {
            Same(interleaved, chunks.SelectMany(c => c.Data));
            Same(stdout, chunks.Where(c => c.Stream == SandboxStream.Stdout).SelectMany(c => c.Data));
            Same(stderr, chunks.Where(c => c.Stream == SandboxStream.Stderr).SelectMany(c => c.Data));
            Assert.All(chunks, c => Assert.InRange(c.Data.Length, 1, 64 * 1024));
        }

        Assert.True(log.Truncated);
    }

    [Fact]
    public void Output_does_not_stay_on_the_managed_heap()
    {
        using var log = new JobLog();
        var chunk = new byte[64 * 1024];
        Random.Shared.NextBytes(chunk);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 160; i++)
        {
            log.OnOutput(i % 2 == 0 ? SandboxStream.Stdout : SandboxStream.Stderr, chunk);
        }

        // 10 MiB written; the log keeps counters, not copies.
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 16 * 1024);
        Assert.Equal(160 * chunk.Length, log.Snapshot().Interleaved.Length);
        Assert.Contains(OpenLogFiles(), f => f.Size == 160 * chunk.Length);
    }

    [Fact]
    public async Task Disposing_frees_the_files_ends_subscriptions_and_refuses_snapshots()
    {
        var marker = Guid.NewGuid().ToByteArray();
        var log = new JobLog();
        log.OnOutput(SandboxStream.Stdout, marker);
        log.OnOutput(SandboxStream.Stderr, marker);
        Assert.Contains(OpenLogFiles(), f => f.Content.AsSpan().StartsWith(marker));
        using var subscription = log.Subscribe();
        Assert.True(subscription.Reader.TryRead(out var first) && first.Stream == SandboxStream.Stdout);
        Assert.True(subscription.Reader.TryRead(out var second) && second.Stream == SandboxStream.Stderr);
        var waiting = subscription.Reader.WaitToReadAsync().AsTask();
        Assert.False(waiting.IsCompleted);

        log.Dispose();
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(subscription.Reader.TryRead(out _));
        Assert.Throws<ObjectDisposedException>(() => log.Snapshot());
        Assert.Throws<ObjectDisposedException>(() => log.ReadSoFar());
        Assert.DoesNotContain(OpenLogFiles(), f => f.Content.AsSpan().StartsWith(marker));
        log.OnOutput(SandboxStream.Stdout, marker);
        log.Dispose();
    }

    [Fact]
    public void A_job_that_prints_nothing_holds_no_file()
    {
        var before = OpenLogFiles().Count;
        using var log = new JobLog();
        log.Complete(truncated: false);
        Assert.Empty(log.Snapshot().Interleaved);
        Assert.True(OpenLogFiles().Count <= before);
    }

    private static void Same(IEnumerable<byte> expected, IEnumerable<byte> actual)
    {
        byte[] want = [.. expected], got = [.. actual];
        Assert.True(want.AsSpan().SequenceEqual(got), $"expected {want.Length} bytes, got {got.Length} different ones");
    }

    private static async Task<List<LogChunk>> ReadAllAsync(JobLog.Subscription subscription)
    {
        var chunks = new List<LogChunk>();
        await foreach (var chunk in subscription.Reader.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }

    /// <summary>Random writes: runs of one stream, single bytes alternating streams, empty and large chunks.</summary>
    private static (List<(SandboxStream Stream, byte[] Data)> Writes, byte[] All, byte[] Stdout, byte[] Stderr) Writes(int seed, int count)
    {
        var random = new Random(seed);
        var writes = new List<(SandboxStream Stream, byte[] Data)>();
        for (var i = 0; i < count; i++)
        {
            var stream = random.Next(3) == 0 ? SandboxStream.Stderr : SandboxStream.Stdout;
            var data = new byte[random.Next(8) switch { 0 => 0, 1 => 1, 2 => random.Next(100_000), _ => random.Next(200) }];
            random.NextBytes(data);
            writes.Add((stream, data));
        }

        return (writes,
            [.. writes.SelectMany(w => w.Data)],
            [.. writes.Where(w => w.Stream == SandboxStream.Stdout).SelectMany(w => w.Data)],
            [.. writes.Where(w => w.Stream == SandboxStream.Stderr).SelectMany(w => w.Data)]);
    }

    /// <summary>This process's job log files: the anonymous RAM files behind /proc/self/fd named sandrun-log.</summary>
    private static List<(long Size, byte[] Content)> OpenLogFiles()
    {
        var files = new List<(long, byte[])>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("/memfd:sandrun-log ", StringComparison.Ordinal))
                {
                    var content = File.ReadAllBytes(fd);
                    files.Add((content.Length, content));
                }
            }
            catch (IOException)
            {
                // Closed meanwhile by another test's log.
            }
        }

        return files;
    }
}
