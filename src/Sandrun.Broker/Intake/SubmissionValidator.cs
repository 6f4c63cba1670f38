using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Options;
using Sandrun.Intake;
using Sandrun.Jobs;
using Sandrun.Manifest;
using Sandrun.Outputs;
using Sandrun.Receipts;

namespace Sandrun.Broker.Intake;

/// <summary>
/// Runs <c>POST /submit</c>'s checks at the broker before a job is accepted: the engine's safe intake (names, links,
/// sizes, counts) into a private scratch directory in RAM, the manifest rules of SPEC.md §3 against this broker's
/// limits and templates (interpreters: every one Sandrun knows, since nodes vary), and the job hash. A refusal is a
/// <see cref="SubmitException"/> naming the field or entry, as at <c>/submit</c>.
/// </summary>
internal sealed partial class SubmissionValidator(IOptions<SandrunOptions> sandrun)
{
    private readonly SandrunOptions options = sandrun.Value;

    /// <summary>Largest upload accepted, in bytes.</summary>
    public long MaxUploadBytes => options.Limits.MaxUploadBytes;

    public async Task<ValidatedSubmission> ValidateAsync(IReadOnlyList<UploadPart> parts, string? manifestJson, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "sandrun-broker-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var limits = IntakeLimits.Default with { MaxUploadBytes = options.Limits.MaxUploadBytes, MaxExtractedBytes = (long)options.Limits.WorkspaceMb << 20 };
            IntakeResult intake;
            try
            {
                intake = await UploadIntake.ExtractAsync(parts, scratch, limits, GetEffectiveUserId(), GetEffectiveGroupId(), cancellationToken).ConfigureAwait(false);
            }
            catch (IntakeException e)
            {
                throw new SubmitException(e.Kind, e.Details);
            }

            JobManifest manifest;
            try
            {
                manifest = ManifestParser.Parse(
                    manifestJson ?? ReadJobJson(scratch, intake),
                    new ManifestContext([.. intake.Files.Keys], options.Limits, [.. options.Environments.Keys], Interpreters.All));
            }
            catch (ManifestException e)
            {
                throw new SubmitException(SubmitRefusal.InvalidManifest, $"{e.Field}: {e.Details}");
            }

            var input = await TreeArchive.PackAsync(scratch, cancellationToken).ConfigureAwait(false);
            return new ValidatedSubmission(JobHash.ManifestJson(manifest).ToJsonString(), JobHash.Compute(manifest, intake.Files), input, intake.Files.Count);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static string? ReadJobJson(string root, IntakeResult intake)
    {
        if (!intake.Files.ContainsKey("job.json"))
        {
            return null;
        }

        using var handle = BeneathFile.OpenRegularFile(root, "job.json")
            ?? throw new SubmitException(SubmitRefusal.InvalidManifest, "job.json: not a regular file");
        using var stream = new FileStream(handle, FileAccess.Read, 1);
        if (stream.Length > 1 << 20)
        {
            throw new SubmitException(SubmitRefusal.InvalidManifest, "job.json: larger than 1 MiB");
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "getegid")]
    private static partial uint GetEffectiveGroupId();
}
