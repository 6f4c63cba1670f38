namespace Sandrun.Abstractions;

/// <summary>Receives a sandboxed program's output as it is produced.</summary>
/// <remarks>Called from the sandbox's own thread, one chunk at a time, in arrival order; implementations must
/// return quickly and must not throw. Chunks are raw bytes: they may split UTF-8 sequences or be binary.</remarks>
public interface ISandboxOutputSink
{
    /// <summary>Delivers one chunk of <paramref name="stream"/>. The span is only valid during the call.</summary>
    void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk);
}

/// <summary>Which output stream a chunk came from.</summary>
public enum SandboxStream
{
    /// <summary>Standard output.</summary>
    Stdout = 1,

    /// <summary>Standard error.</summary>
    Stderr = 2,
}

/// <summary>A sink that drops everything.</summary>
public sealed class NullOutputSink : ISandboxOutputSink
{
    /// <summary>The shared instance.</summary>
    public static readonly NullOutputSink Instance = new();

    /// <inheritdoc />
    public void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk)
    {
    }
}
