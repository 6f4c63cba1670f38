using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>
/// One subscriber's cursor over a <see cref="JobLog"/>: it reads the log's files from where it is, so replay from the
/// start and live output are the same path and nothing is buffered for a slow reader. Single reader.
/// </summary>
/// <param name="log">The log to read.</param>
/// <param name="end">Where to stop: the end of the output so far for a snapshot, <see cref="long.MaxValue"/> to follow it.</param>
internal sealed class JobLogReader(JobLog log, long end) : ChannelReader<LogChunk>
{
    /// <summary>The largest chunk handed out: a WebSocket frame's worth, not a whole 10 MiB log.</summary>
    internal const int MaxChunk = 64 * 1024;

    private long runRecord;
    private long runStart;
    private long position;
    private (long At, SandboxStream Stream, long Length, int Size)? cachedRun;
    private volatile bool stopped;

    /// <inheritdoc />
    public override bool TryRead([MaybeNullWhen(false)] out LogChunk item)
    {
        item = null;
        var state = log.Capture();
        if (stopped || state.Disposed || position >= Math.Min(state.DataLength, end))
        {
            return false;
        }

        try
        {
            var (stream, runEnd) = CurrentRun(state);
            var chunk = new byte[(int)Math.Min(MaxChunk, Math.Min(runEnd, end) - position)];
            log.ReadData(position, chunk);
            position += chunk.Length;
            item = new LogChunk(stream, chunk);
            return true;
        }
        catch (ObjectDisposedException)
        {
            // Deleted while reading: the stream ends as for a deleted job.
            return false;
        }
    }

    /// <inheritdoc />
    public override async ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var state = log.Capture();
            if (stopped || state.Disposed)
            {
                return false;
            }

            if (position < Math.Min(state.DataLength, end))
            {
                return true;
            }

            if (state.Completed || position >= end)
            {
                return false;
            }

            await log.Changed(state).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ends this reader (its subscription was disposed).</summary>
    internal void Stop() => stopped = true;

    /// <summary>
    /// The stream of the run holding <see cref="position"/> and where that run ends (as far as written), moving past
    /// the runs read to their end. Runs with a record come first; after them is the open run.
    /// </summary>
    private (SandboxStream Stream, long End) CurrentRun(LogState state)
    {
        while (runRecord < state.RunsLength)
        {
            if (cachedRun?.At != runRecord)
            {
                var (stream, length, size) = log.ReadRun(runRecord);
                cachedRun = (runRecord, stream, length, size);
            }

            var run = cachedRun.Value;
            if (position < runStart + run.Length)
            {
                return (run.Stream, runStart + run.Length);
            }

            runStart += run.Length;
            runRecord += run.Size;
        }

        return (state.OpenStream, state.DataLength);
    }
}
