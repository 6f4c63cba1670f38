namespace Sandrun.Outputs;

/// <summary>What output collection found.</summary>
/// <param name="Files">The outputs, in ordinal path order.</param>
/// <param name="Notes">What was left out and why, as fixed sentences with counts (never a job-chosen name).</param>
public sealed record OutputCollection(IReadOnlyList<OutputFile> Files, IReadOnlyList<string> Notes);
