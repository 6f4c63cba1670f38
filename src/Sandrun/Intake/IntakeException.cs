namespace Sandrun.Intake;

/// <summary>
/// An upload was refused. Maps directly to the API's error response (SPEC.md §2):
/// <c>{"error": Error, "details": Details}</c> with HTTP <see cref="StatusCode"/>.
/// </summary>
public sealed class IntakeException : Exception
{
    private IntakeException(int statusCode, string error, string details)
        : base($"{error}: {details}")
    {
        StatusCode = statusCode;
        Error = error;
        Details = details;
    }

    /// <summary>400 for an invalid upload, 413 for one over a size or count limit.</summary>
    public int StatusCode { get; }

    /// <summary>Short summary: <c>invalid upload</c> or <c>upload too large</c>.</summary>
    public string Error { get; }

    /// <summary>What was wrong, naming the part and the entry, e.g. <c>job.tar.gz: entry '../x' escapes the workspace</c>.</summary>
    public string Details { get; }

    internal static IntakeException Invalid(string details) => new(400, "invalid upload", details);

    internal static IntakeException TooLarge(string details) => new(413, "upload too large", details);
}
