namespace Sandrun.Manifest;

/// <summary>The interpreters a manifest may name (SPEC.md §3) and how each runs an entrypoint.</summary>
public static class Interpreters
{
    private static readonly Dictionary<string, string> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".py"] = "python3",
        [".js"] = "node",
        [".mjs"] = "node",
        [".sh"] = "bash",
        [".rb"] = "ruby",
        [".R"] = "Rscript",
        [".pl"] = "perl",
    };

    /// <summary>Every interpreter name a manifest may use, in the order error messages list them:
    /// <c>python3</c>, <c>node</c>, <c>bash</c>, <c>sh</c>, <c>ruby</c>, <c>Rscript</c>, <c>perl</c>.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(["python3", "node", "bash", "sh", "ruby", "Rscript", "perl"]);

    /// <summary>
    /// The interpreter implied by a file's extension: <c>.py</c> python3, <c>.js</c>/<c>.mjs</c> node, <c>.sh</c> bash,
    /// <c>.rb</c> ruby, <c>.R</c> Rscript, <c>.pl</c> perl. Extensions match case-insensitively (<c>.r</c> is R too).
    /// </summary>
    /// <param name="fileName">A file name or '/'-separated path.</param>
    /// <returns>The interpreter name, or null when the extension implies none.</returns>
    public static string? ForExtension(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return ByExtension.GetValueOrDefault(Path.GetExtension(fileName));
    }

    /// <summary>
    /// The argv that runs <paramref name="entrypoint"/> with <paramref name="interpreter"/> from the workspace directory,
    /// e.g. <c>["python3", "-u", "main.py", ...args]</c>. Python runs unbuffered so output streams while the job runs.
    /// </summary>
    /// <param name="interpreter">One of <see cref="All"/>.</param>
    /// <param name="entrypoint">The entrypoint, relative to the working directory.</param>
    /// <param name="args">Arguments for the program, passed as they are.</param>
    /// <returns>The argv to execute; the first element is a program name to look up in the sandbox PATH.</returns>
    /// <exception cref="ArgumentException">The interpreter is not one of <see cref="All"/>.</exception>
    public static IReadOnlyList<string> Command(string interpreter, string entrypoint, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(interpreter);
        ArgumentNullException.ThrowIfNull(entrypoint);
        ArgumentNullException.ThrowIfNull(args);
        if (!All.Contains(interpreter, StringComparer.Ordinal))
        {
            throw new ArgumentException($"unknown interpreter '{interpreter}'", nameof(interpreter));
        }

        // A file named like an option ("-c.py") would otherwise be parsed as one by the interpreter.
        var script = entrypoint.StartsWith('-') ? "./" + entrypoint : entrypoint;
        List<string> argv = interpreter == "python3" ? [interpreter, "-u", script] : [interpreter, script];
        argv.AddRange(args);
        return argv.AsReadOnly();
    }
}
