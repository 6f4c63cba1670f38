namespace Sandrun.Broker.Intake;

/// <summary>A submission that passed the same checks as <c>POST /submit</c>, ready to store.</summary>
/// <param name="Manifest">The normalized manifest JSON (defaults applied), which is what nodes run.</param>
/// <param name="JobHash">SPEC.md §6 job hash over that manifest and the uploaded files.</param>
/// <param name="Input">The uploaded tree as a tar.gz archive.</param>
/// <param name="Files">How many regular files were uploaded.</param>
internal sealed record ValidatedSubmission(string Manifest, string JobHash, byte[] Input, int Files);
