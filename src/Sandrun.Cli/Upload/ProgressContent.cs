using System.Net;

namespace Sandrun.Cli.Upload;

/// <summary>A stream's bytes as request content, telling <c>progress</c> (sent, total) after every block.</summary>
internal sealed class ProgressContent(Stream source, Action<long, long>? progress) : HttpContent
{
    /// <inheritdoc />
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        long sent = 0;
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            sent += n;
            progress?.Invoke(sent, source.Length);
        }
    }

    /// <inheritdoc />
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <inheritdoc />
    protected override bool TryComputeLength(out long length)
    {
        length = source.Length;
        return true;
    }
}
