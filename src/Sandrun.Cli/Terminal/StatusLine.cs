namespace Sandrun.Cli.Terminal;

/// <summary>
/// One line of progress on stderr (upload percentage, queue position), redrawn in place. Only on a terminal: piped
/// or redirected stderr, and <c>--json</c>, get none, so scripts and logs see the job's output and the summary only.
/// </summary>
internal sealed class StatusLine(bool enabled)
{
    private readonly Lock gate = new();

    private bool shown;

    /// <summary>A line for an interactive stderr, nothing otherwise.</summary>
    public static StatusLine ForStderr(bool quiet) => new(!quiet && !Console.IsErrorRedirected);

    /// <summary>Whether the line is drawn at all.</summary>
    public bool Enabled
    {
        get
        {
            lock (gate)
            {
                return enabled;
            }
        }
    }

    /// <summary>Replaces the line with <paramref name="text"/>.</summary>
    public void Show(string text)
    {
        if (!enabled)
        {
            return;
        }

        lock (gate)
        {
            Console.Error.Write($"\r\u001b[2K{text}");
            shown = true;
        }
    }

    /// <summary>Removes the line, before output or the summary is written.</summary>
    public void Clear()
    {
        lock (gate)
        {
            if (shown)
            {
                Console.Error.Write("\r\u001b[2K");
                shown = false;
            }

            enabled = false;
        }
    }
}
