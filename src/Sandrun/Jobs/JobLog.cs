using System.Threading.Channels;
using Sandrun.Abstractions;

namespace Sandrun.Jobs;

/// <summary>One chunk of job output, in arrival order.</summary>
/// <param name="Stream">Which stream it came from.</param>
/// <param name="Data">The bytes (may split UTF-8 sequences; may be binary).</param>
public sealed record LogChunk(SandboxStream Stream, byte[] Data);

/// <summary>
/// A job's output: every chunk in arrival order (capped per stream by the sandbox), readable as a snapshot
/// while the job runs, and streamed to subscribers (replay of everything so far, then live chunks).
/// Thread-safe; the sandbox writes from its own thread.
/// </summary>
public sealed class JobLog : ISandboxOutputSink
{
    private readonly Lock gate = new();
    private readonly List<LogChunk> chunks = [];
    private readonly List<Channel<LogChunk>> subscribers = [];
    private long stdoutBytes;
    private long stderrBytes;
    private bool completed;

    /// <summary>True when a stream hit its cap.</summary>
    public bool Truncated { get; private set; }

    /// <inheritdoc />
    public void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk)
    {
        var item = new LogChunk(stream, chunk.ToArray());
        lock (gate)
        {
            if (completed)
            {
                return;
            }

            chunks.Add(item);
            if (stream == SandboxStream.Stdout)
            {
                stdoutBytes += item.Data.Length;
            }
            else
            {
                stderrBytes += item.Data.Length;
            }

            foreach (var subscriber in subscribers)
            {
                subscriber.Writer.TryWrite(item);
            }
        }
    }

    /// <summary>Marks the end of output; subscribers' streams complete after the last chunk.</summary>
    public void Complete(bool truncated)
    {
        lock (gate)
        {
            completed = true;
            Truncated = truncated;
            foreach (var subscriber in subscribers)
            {
                subscriber.Writer.TryComplete();
            }

            subscribers.Clear();
        }
    }

    /// <summary>Output so far: both streams interleaved in arrival order, and each stream on its own.</summary>
    public (byte[] Interleaved, byte[] Stdout, byte[] Stderr) Snapshot()
    {
        lock (gate)
        {
            var all = new byte[stdoutBytes + stderrBytes];
            var stdout = new byte[stdoutBytes];
            var stderr = new byte[stderrBytes];
            int a = 0, o = 0, e = 0;
            foreach (var chunk in chunks)
            {
                chunk.Data.CopyTo(all, a);
                a += chunk.Data.Length;
                if (chunk.Stream == SandboxStream.Stdout)
                {
                    chunk.Data.CopyTo(stdout, o);
                    o += chunk.Data.Length;
                }
                else
                {
                    chunk.Data.CopyTo(stderr, e);
                    e += chunk.Data.Length;
                }
            }

            return (all, stdout, stderr);
        }
    }

    /// <summary>Everything so far, then live chunks until the job ends. Disposing the subscription stops it.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateUnbounded<LogChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        lock (gate)
        {
            foreach (var chunk in chunks)
            {
                channel.Writer.TryWrite(chunk);
            }

            if (completed)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                subscribers.Add(channel);
            }
        }

        return new Subscription(this, channel);
    }

    private void Unsubscribe(Channel<LogChunk> channel)
    {
        lock (gate)
        {
            subscribers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    /// <summary>A reader of one job's output.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly JobLog log;
        private readonly Channel<LogChunk> channel;

        internal Subscription(JobLog log, Channel<LogChunk> channel)
        {
            this.log = log;
            this.channel = channel;
        }

        /// <summary>Chunks in order; completes when the job's output ends.</summary>
        public ChannelReader<LogChunk> Reader => channel.Reader;

        /// <inheritdoc />
        public void Dispose() => log.Unsubscribe(channel);
    }
}
