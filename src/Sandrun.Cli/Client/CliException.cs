namespace Sandrun.Cli.Client;

/// <summary>A failure the CLI reports in one line on stderr and ends with <see cref="ExitCode"/> (not a crash).</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Trouble) : Exception(message)
{
    /// <summary>The process exit code for this failure.</summary>
    public int ExitCode { get; } = exitCode;
}
