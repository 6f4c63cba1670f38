namespace Sandrun.AspNetCore.Mcp;

/// <summary>A tool call Sandrun will not run; the message goes back to the client as a tool error.</summary>
internal sealed class ToolRefusalException : Exception
{
    public ToolRefusalException()
    {
    }

    public ToolRefusalException(string message)
        : base(message)
    {
    }

    public ToolRefusalException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
