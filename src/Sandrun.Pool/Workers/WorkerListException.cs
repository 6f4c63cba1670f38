namespace Sandrun.Pool.Workers;

/// <summary>A worker list that cannot be used; the message names the file or key and the entry.</summary>
public sealed class WorkerListException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkerListException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public WorkerListException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public WorkerListException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
