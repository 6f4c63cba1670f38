using Sandrun.Jobs;

namespace Sandrun.Intake;

/// <summary>An upload was refused: invalid, or over a size or count limit.</summary>
public sealed class IntakeException : Exception
{
    private IntakeException(SubmitRefusal kind, string details)
        : base($"{kind}: {details}")
    {
        Kind = kind;
        Details = details;
    }

    /// <summary><see cref="SubmitRefusal.InvalidUpload"/> or <see cref="SubmitRefusal.UploadTooLarge"/>.</summary>
    public SubmitRefusal Kind { get; }

    /// <summary>What was wrong, naming the part and the entry, e.g. <c>job.tar.gz: entry '../x' escapes the workspace</c>.</summary>
    public string Details { get; }

    internal static IntakeException Invalid(string details) => new(SubmitRefusal.InvalidUpload, details);

    internal static IntakeException TooLarge(string details) => new(SubmitRefusal.UploadTooLarge, details);
}
