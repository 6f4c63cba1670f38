namespace Sandrun.Jobs;

/// <summary>
/// Why the engine refused a submission. Hosts translate it into their protocol (an HTTP status, an MCP tool error);
/// the engine itself knows nothing of either.
/// </summary>
public enum SubmitRefusal
{
    /// <summary>The upload is malformed: bad framing, a bad archive entry, a missing file part.</summary>
    InvalidUpload,

    /// <summary>The upload, or what it extracts to, is over a size or count limit.</summary>
    UploadTooLarge,

    /// <summary>The manifest is invalid; the details name the field.</summary>
    InvalidManifest,

    /// <summary>The client is over its quota; <see cref="SubmitException.RetryAfter"/> says when it can try again.</summary>
    QuotaExceeded,

    /// <summary>The queue is full; <see cref="SubmitException.RetryAfter"/> suggests when to try again.</summary>
    QueueFull,
}
