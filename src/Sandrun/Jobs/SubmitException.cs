namespace Sandrun.Jobs;

/// <summary>A submission was refused: what kind of refusal, and what exactly is wrong.</summary>
public sealed class SubmitException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">Why the submission was refused.</param>
    /// <param name="details">What exactly is wrong (names the field or entry).</param>
    /// <param name="retryAfter">When retrying can succeed, for <see cref="SubmitRefusal.QuotaExceeded"/> and <see cref="SubmitRefusal.QueueFull"/>.</param>
    public SubmitException(SubmitRefusal kind, string details, TimeSpan? retryAfter = null)
        : base($"{kind}: {details}")
    {
        Kind = kind;
        Details = details;
        RetryAfter = retryAfter;
    }

    /// <summary>Why the submission was refused.</summary>
    public SubmitRefusal Kind { get; }

    /// <summary>What exactly is wrong (names the field or entry).</summary>
    public string Details { get; }

    /// <summary>When retrying can succeed; null when retrying the same submission cannot.</summary>
    public TimeSpan? RetryAfter { get; }
}
