namespace Sandrun.Intake;

/// <summary>What an archive entry (or a plain part) asks to create.</summary>
internal enum EntryKind
{
    File,
    Directory,
    Symlink,

    /// <summary>A hardlink to an earlier file of the upload; written as a copy of that file.</summary>
    Hardlink,
}

/// <summary>One entry as a reader decoded it, not yet validated.</summary>
/// <param name="Name">The entry's path as the archive spells it (decoded as UTF-8 with replacement).</param>
/// <param name="Kind">What to create.</param>
/// <param name="LinkTarget">A symlink's target or a hardlink's source path; empty otherwise.</param>
/// <param name="Executable">Whether the archive gave the entry any execute bit.</param>
/// <param name="Content">A file's data, valid until the reader moves on; empty for other kinds.</param>
internal sealed record ArchiveEntry(string Name, EntryKind Kind, string LinkTarget, bool Executable, Stream Content);
