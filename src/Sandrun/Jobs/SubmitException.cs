namespace Sandrun.Jobs;

/// <summary>A submission was refused; carries the HTTP status and the JSON error fields (SPEC.md §2).</summary>
public sealed class SubmitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SubmitException(int statusCode, string error, string details, TimeSpan? retryAfter = null)
        : base($"{error}: {details}")
    {
        StatusCode = statusCode;
        Error = error;
        Details = details;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates the exception.</summary>
    public SubmitException()
        : this(400, "invalid submission", string.Empty)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SubmitException(string message)
        : this(400, "invalid submission", message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public SubmitException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = 400;
        Error = "invalid submission";
        Details = message;
    }

    /// <summary>400, 413, 429 or 503.</summary>
    public int StatusCode { get; }

    /// <summary>Short error.</summary>
    public string Error { get; }

    /// <summary>What exactly is wrong (names the field or entry).</summary>
    public string Details { get; }

    /// <summary>For 429: when retrying can succeed.</summary>
    public TimeSpan? RetryAfter { get; }
}
