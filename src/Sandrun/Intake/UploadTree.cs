namespace Sandrun.Intake;

/// <summary>
/// What this upload has created so far, by relative path: the model the intake rules are checked against
/// (conflicts, paths through symlinks, where symlinks resolve) before anything touches the workspace.
/// </summary>
internal sealed class UploadTree(int maxPathLength)
{
    // Linux gives up after 40 symlinks in one resolution (MAXSYMLINKS); a chain that long is refused.
    private const int MaxLinkExpansions = 40;

    // Components processed by all resolutions of one upload: thousands of ordinary links need a small fraction
    // of this; it bounds the work a hostile web of long link targets can cause.
    private const int MaxResolutionSteps = 1_000_000;

    private readonly Dictionary<string, Node> nodes = new(StringComparer.Ordinal);
    private int resolutionSteps;

    public enum NodeKind
    {
        Directory,
        File,
        Symlink,
    }

    /// <summary>How a symlink target resolves.</summary>
    public enum Resolution
    {
        Inside,
        Escapes,
        TooManyLinks,

        /// <summary>The upload's resolution budget ran out: its links are too many or too convoluted to check.</summary>
        OverBudget,
    }

    public Node? Find(string path) => nodes.GetValueOrDefault(path);

    /// <summary>Refuses <paramref name="path"/> unless every ancestor is a directory or not created yet.</summary>
    public void CheckAncestors(EntryPath path, EntryRef at)
    {
        for (var depth = 1; depth < path.Components.Count; depth++)
        {
            var ancestor = path.Prefix(depth);
            switch (Find(ancestor)?.Kind)
            {
                case NodeKind.Symlink:
                    throw at.Invalid($"goes through the symlink '{EntryRef.Show(ancestor)}'");
                case NodeKind.File:
                    throw at.Invalid($"needs '{EntryRef.Show(ancestor)}' to be a directory, but it is a file");
            }
        }
    }

    /// <summary>Refuses to put a non-directory at <paramref name="path"/> when a directory is there.</summary>
    public void CheckReplaceable(EntryPath path, EntryRef at)
    {
        if (Find(path.Value)?.Kind == NodeKind.Directory)
        {
            throw at.Invalid("would replace a directory");
        }
    }

    public void AddDirectory(string path) => nodes[path] = new Node(NodeKind.Directory);

    public void SetFile(string path, string sha256, long size, bool executable) =>
        nodes[path] = new Node(NodeKind.File) { Sha256 = sha256, Size = size, Executable = executable };

    public void SetSymlink(EntryPath path, IReadOnlyList<string> target, string targetText, EntryRef origin) =>
        nodes[path.Value] = new Node(NodeKind.Symlink) { Link = path, Target = target, TargetText = targetText, Origin = origin };

    public IEnumerable<Node> Symlinks => nodes.Values.Where(node => node.Kind == NodeKind.Symlink);

    /// <summary>Every regular file and its hash, in ordinal path order.</summary>
    public SortedDictionary<string, string> Files()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (path, node) in nodes)
        {
            if (node.Kind == NodeKind.File)
            {
                files[path] = node.Sha256;
            }
        }

        return files;
    }

    public long TotalFileBytes() => nodes.Values.Where(node => node.Kind == NodeKind.File).Sum(node => node.Size);

    /// <summary>
    /// Resolves a symlink target lexically from the link's directory, expanding the symlinks this upload created
    /// on the way (a path not created yet counts as a directory). Escaping means some '..' would climb above the
    /// workspace root.
    /// </summary>
    public Resolution Resolve(EntryPath link, IReadOnlyList<string> target)
    {
        // prefixes[i] is the path of the position's first i + 1 components, or null once it is too long to name
        // anything the upload created.
        var prefixes = new List<string?>();
        foreach (var component in link.Components.Take(link.Components.Count - 1))
        {
            Descend(prefixes, component);
        }

        var pending = new Stack<string>(target.Reverse());
        var expansions = 0;
        while (pending.TryPop(out var component))
        {
            if (++resolutionSteps > MaxResolutionSteps)
            {
                return Resolution.OverBudget;
            }

            switch (component)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (prefixes.Count == 0)
                    {
                        return Resolution.Escapes;
                    }

                    prefixes.RemoveAt(prefixes.Count - 1);
                    continue;
            }

            Descend(prefixes, component);
            if (prefixes[^1] is { } path && Find(path) is { Kind: NodeKind.Symlink } symlink)
            {
                if (++expansions > MaxLinkExpansions)
                {
                    return Resolution.TooManyLinks;
                }

                prefixes.RemoveAt(prefixes.Count - 1);
                foreach (var part in symlink.Target.Reverse())
                {
                    pending.Push(part);
                }
            }
        }

        return Resolution.Inside;
    }

    private void Descend(List<string?> prefixes, string component)
    {
        var path = prefixes.Count == 0 ? component : prefixes[^1] is { } parent ? $"{parent}/{component}" : null;
        prefixes.Add(path?.Length > maxPathLength ? null : path);
    }

    /// <summary>One created path.</summary>
    public sealed class Node(NodeKind kind)
    {
        public NodeKind Kind { get; } = kind;

        public string Sha256 { get; init; } = "";

        public long Size { get; init; }

        public bool Executable { get; init; }

        /// <summary>Where a symlink is; set for symlinks only.</summary>
        public EntryPath? Link { get; init; }

        public IReadOnlyList<string> Target { get; init; } = [];

        public string TargetText { get; init; } = "";

        public EntryRef Origin { get; init; }
    }
}
