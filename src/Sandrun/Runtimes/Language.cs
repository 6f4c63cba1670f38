namespace Sandrun.Runtimes;

/// <summary>A language a one-call request may name: the interpreter that runs it, the file its code is written to, and its other names.</summary>
/// <param name="Name">The language's name (<c>python</c>, <c>javascript</c>, …).</param>
/// <param name="Interpreter">The manifest interpreter that runs it (one of <see cref="Manifest.Interpreters.All"/>).</param>
/// <param name="EntryFile">The file a snippet is written to, e.g. <c>main.py</c>.</param>
/// <param name="Aliases">Other names accepted for it, any case.</param>
public sealed record Language(string Name, string Interpreter, string EntryFile, IReadOnlyList<string> Aliases);
