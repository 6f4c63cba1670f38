namespace Sandrun.Runtimes;

/// <summary>The languages one-call execution, the MCP tools and the Piston shim accept, with their aliases.</summary>
public static class Languages
{
    /// <summary>Every language, in the order listings and error messages use.</summary>
    public static IReadOnlyList<Language> All { get; } =
    [
        new("python", "python3", "main.py", ["py", "python3", "py3"]),
        new("javascript", "node", "main.js", ["js", "node", "nodejs", "node-js"]),
        new("bash", "bash", "main.sh", []),
        new("sh", "sh", "main.sh", ["dash"]),
        new("ruby", "ruby", "main.rb", ["rb", "ruby3"]),
        new("r", "Rscript", "main.R", ["rscript"]),
        new("perl", "perl", "main.pl", ["pl"]),
    ];

    /// <summary>Finds a language by its name, an alias or its interpreter's name, any case; null when none matches.</summary>
    public static Language? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim();
        return All.FirstOrDefault(l =>
            string.Equals(l.Name, key, StringComparison.OrdinalIgnoreCase)
            || string.Equals(l.Interpreter, key, StringComparison.OrdinalIgnoreCase)
            || l.Aliases.Contains(key, StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>The languages whose interpreter is among <paramref name="installed"/>, in <see cref="All"/> order.</summary>
    public static IReadOnlyList<Language> Installed(IEnumerable<string> installed)
    {
        var set = installed.ToHashSet(StringComparer.Ordinal);
        return [.. All.Where(l => set.Contains(l.Interpreter))];
    }
}
