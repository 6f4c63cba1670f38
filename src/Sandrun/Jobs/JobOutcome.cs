using Sandrun.Abstractions;
using Sandrun.Outputs;

namespace Sandrun.Jobs;

/// <summary>How a job's run ended, as its worker hands it to the finisher.</summary>
/// <param name="Result">How the sandboxed run (or the install step before it) ended.</param>
/// <param name="Outputs">The collected output files.</param>
/// <param name="Notes">Remarks from output collection.</param>
/// <param name="SetupError">Why the job could not run or be finished, or null.</param>
internal sealed record JobOutcome(SandboxResult Result, IReadOnlyList<OutputFile> Outputs, IReadOnlyList<string> Notes, string? SetupError)
{
    /// <summary>The server failed the job (an engine error, not the program's): failed with setup_error and no outputs.</summary>
    public static JobOutcome ServerFailure(string setupError) =>
        new(new SandboxResult(FailureReason.SetupError, null, null, TimeSpan.Zero, 0, TimeSpan.Zero), [], [], setupError);
}
