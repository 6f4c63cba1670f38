using Microsoft.Win32.SafeHandles;
using Sandrun.Abstractions;
using Sandrun.Native;

namespace Sandrun.Jobs;

/// <summary>One chunk of job output, in arrival order.</summary>
/// <param name="Stream">Which stream it came from.</param>
/// <param name="Data">The bytes (may split UTF-8 sequences; may be binary).</param>
public sealed record LogChunk(SandboxStream Stream, byte[] Data);

/// <summary>
/// A job's output: every byte in arrival order (capped per stream by the sandbox), readable as a snapshot while the
/// job runs, and streamed to subscribers (everything so far, then live output). Thread-safe; the sandbox writes from
/// its own thread.
/// </summary>
/// <remarks>
/// The bytes live off the managed heap, in an anonymous RAM file (memfd) the job cannot name: it has no path, and
/// the sandbox closes every server descriptor before the job's program starts. The data file holds both streams
/// interleaved as they arrived; a second memfd, made only when the output switches streams, holds which stream each
/// earlier run of bytes came from (varints of <c>length × 2 + stream</c>); the last run is only in memory. The heap
/// keeps a few counters per job whatever the job prints, and readers pull from the files, so a slow subscriber
/// buffers nothing. Disposing (when the job is deleted) frees the files.
/// </remarks>
public sealed class JobLog : ISandboxOutputSink, IDisposable
{
    private readonly Lock gate = new();
    private SafeFileHandle? data;
    private SafeFileHandle? runs;
    private long dataLength;
    private long runsLength;
    private SandboxStream openStream;
    private long openLength;
    private long stdoutBytes;
    private long stderrBytes;
    private bool completed;
    private bool broken;
    private bool disposed;
    private TaskCompletionSource? changed;

    /// <summary>True when a stream hit its cap, or the server could not keep every byte.</summary>
    public bool Truncated { get; private set; }

    /// <inheritdoc />
    public void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk)
    {
        lock (gate)
        {
            if (completed || disposed || broken || chunk.IsEmpty)
            {
                return;
            }

            try
            {
                if (openLength > 0 && openStream != stream)
                {
                    CloseRun();
                }

                data ??= Posix.MemoryFile("sandrun-log");
                RandomAccess.Write(data, chunk, dataLength);
            }
            catch (IOException)
            {
                // Out of memory or descriptors: what was kept stays readable, and the log says it is incomplete.
                broken = true;
                Truncated = true;
                Signal();
                return;
            }

            openStream = stream;
            openLength += chunk.Length;
            dataLength += chunk.Length;
            if (stream == SandboxStream.Stdout)
            {
                stdoutBytes += chunk.Length;
            }
            else
            {
                stderrBytes += chunk.Length;
            }

            Signal();
        }
    }

    /// <summary>Marks the end of output; subscribers' streams complete after the last byte.</summary>
    public void Complete(bool truncated)
    {
        lock (gate)
        {
            completed = true;
            Truncated = truncated || broken;
            Signal();
        }
    }

    /// <summary>Output so far: both streams interleaved in arrival order, and each stream on its own.</summary>
    /// <exception cref="ObjectDisposedException">The job has been deleted.</exception>
    public (byte[] Interleaved, byte[] Stdout, byte[] Stderr) Snapshot()
    {
        var state = Capture();
        ObjectDisposedException.ThrowIf(state.Disposed, this);
        var all = new byte[state.DataLength];
        var stdout = new byte[state.StdoutBytes];
        var stderr = new byte[state.StderrBytes];
        ReadData(0, all);
        var runRecords = new byte[state.RunsLength];
        if (runRecords.Length > 0)
        {
            RandomAccess.Read(runs!, runRecords, 0);
        }

        long at = 0, o = 0, e = 0;
        var records = new ReadOnlySpan<byte>(runRecords);
        while (!records.IsEmpty)
        {
            var (stream, length, size) = RunRecord.Decode(records);
            records = records[size..];
            Split(stream, length);
        }

        Split(state.OpenStream, state.DataLength - at);
        return (all, stdout, stderr);

        void Split(SandboxStream stream, long length)
        {
            var run = all.AsSpan((int)at, (int)length);
            run.CopyTo(stream == SandboxStream.Stdout ? stdout.AsSpan((int)o) : stderr.AsSpan((int)e));
            at += length;
            if (stream == SandboxStream.Stdout)
            {
                o += length;
            }
            else
            {
                e += length;
            }
        }
    }

    /// <summary>
    /// The output written so far, in arrival order, as chunks of one stream each (at most 64 KiB), read from the log's
    /// files as they are enumerated: a response can stream a 10 MiB log without holding it. Every enumeration gives the
    /// same bytes; one ends early if the job is deleted meanwhile.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The job has been deleted.</exception>
    public IEnumerable<LogChunk> ReadSoFar()
    {
        var state = Capture();
        ObjectDisposedException.ThrowIf(state.Disposed, this);
        return Read(state.DataLength);
    }

    /// <summary>Everything so far, then live output until the job ends. Disposing the subscription stops it.</summary>
    public Subscription Subscribe() => new(new JobLogReader(this, long.MaxValue));

    /// <summary>Frees the output (the job was deleted); snapshots throw and subscriptions end from now on.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            Signal();
        }

        // Reads in progress hold references to the handles: the files close when the last one returns.
        data?.Dispose();
        runs?.Dispose();
    }

    /// <summary>The writer's position, read together.</summary>
    internal LogState Capture()
    {
        lock (gate)
        {
            return new LogState(dataLength, runsLength, openStream, stdoutBytes, stderrBytes, completed, disposed);
        }
    }

    /// <summary>A task that completes when the log changes after <paramref name="seen"/> was captured (at once when it has).</summary>
    internal Task Changed(LogState seen)
    {
        lock (gate)
        {
            if (dataLength != seen.DataLength || completed != seen.Completed || disposed != seen.Disposed)
            {
                return Task.CompletedTask;
            }

            changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return changed.Task;
        }
    }

    /// <summary>Reads output bytes at <paramref name="offset"/> (below a captured <see cref="LogState.DataLength"/>).</summary>
    internal void ReadData(long offset, Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        if (RandomAccess.Read(data!, buffer, offset) != buffer.Length)
        {
            throw new IOException("job log shorter than written");
        }
    }

    /// <summary>Reads the run record at <paramref name="offset"/> (below a captured <see cref="LogState.RunsLength"/>).</summary>
    internal (SandboxStream Stream, long Length, int Size) ReadRun(long offset)
    {
        Span<byte> record = stackalloc byte[RunRecord.MaxSize];
        var n = RandomAccess.Read(runs!, record, offset);
        return RunRecord.Decode(record[..n]);
    }

    private IEnumerable<LogChunk> Read(long end)
    {
        var reader = new JobLogReader(this, end);
        while (reader.TryRead(out var chunk))
        {
            yield return chunk;
        }
    }

    private void CloseRun()
    {
        Span<byte> record = stackalloc byte[RunRecord.MaxSize];
        var size = RunRecord.Encode(openStream, openLength, record);
        runs ??= Posix.MemoryFile("sandrun-log-runs");
        RandomAccess.Write(runs, record[..size], runsLength);
        runsLength += size;
        openLength = 0;
    }

    private void Signal()
    {
        changed?.TrySetResult();
        changed = null;
    }

    /// <summary>A reader of one job's output.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly JobLogReader reader;

        internal Subscription(JobLogReader reader) => this.reader = reader;

        /// <summary>Chunks in order (each from one stream, at most 64 KiB); completes when the job's output ends.</summary>
        public System.Threading.Channels.ChannelReader<LogChunk> Reader => reader;

        /// <inheritdoc />
        public void Dispose() => reader.Stop();
    }
}
