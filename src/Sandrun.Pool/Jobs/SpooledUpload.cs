namespace Sandrun.Pool.Jobs;

/// <summary>
/// A <c>/submit</c> body read once into a file and sent as is (same content type, same bytes) to each worker tried;
/// deleted when disposed.
/// </summary>
public sealed class SpooledUpload : IDisposable
{
    internal SpooledUpload(string path, string contentType, long length)
    {
        Path = path;
        ContentType = contentType;
        Length = length;
    }

    /// <summary>Where the bytes are.</summary>
    public string Path { get; }

    /// <summary>The client's Content-Type (multipart/form-data with its boundary).</summary>
    public string ContentType { get; }

    /// <summary>Bytes spooled.</summary>
    public long Length { get; }

    /// <summary>Opens the bytes for one send.</summary>
    public Stream Open() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <inheritdoc />
    public void Dispose() => File.Delete(Path);
}
