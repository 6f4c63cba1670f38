namespace Sandrun.Abstractions;

/// <summary>Isolation could not be set up; the job was not executed.</summary>
public sealed class SandboxUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SandboxUnavailableException()
        : base("The sandbox is unavailable.")
    {
    }

    /// <summary>Creates the exception with a message naming the missing feature.</summary>
    public SandboxUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public SandboxUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
