namespace Sandrun.AspNetCore.Execution;

/// <summary>A one-call request that cannot run, with the field at fault.</summary>
internal sealed class OneCallRequestException : Exception
{
    public OneCallRequestException(string field, string problem, bool tooLarge = false)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
        TooLarge = tooLarge;
    }

    public OneCallRequestException()
    {
        Field = string.Empty;
    }

    public OneCallRequestException(string message)
        : base(message)
    {
        Field = string.Empty;
    }

    public OneCallRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    /// <summary>The request field at fault, e.g. <c>files[1].content</c>.</summary>
    public string Field { get; }

    /// <summary>What is wrong, without the field's name in front.</summary>
    public string Problem { get; } = string.Empty;

    /// <summary>Whether the fault is size over a limit (413) rather than a malformed value (400).</summary>
    public bool TooLarge { get; }
}
