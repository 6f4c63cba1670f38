namespace Sandrun.Tests.Intake;

/// <summary>
/// A request-body-like stream: forward-only, and synchronous reads fail (as on Kestrel), so the tests prove
/// intake never blocks on a part.
/// </summary>
internal sealed class AsyncOnlyStream(byte[] content) : Stream
{
    private int position;

    /// <summary>How much of the content has been read: proves where intake stopped.</summary>
    public int BytesRead => position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var count = Math.Min(buffer.Length, content.Length - position);
        content.AsMemory(position, count).CopyTo(buffer);
        position += count;
        return ValueTask.FromResult(count);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new InvalidOperationException("synchronous read of an upload part");

    public override int Read(Span<byte> buffer) => throw new InvalidOperationException("synchronous read of an upload part");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
