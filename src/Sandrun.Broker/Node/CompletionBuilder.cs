using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Broker.Contracts;
using Sandrun.Jobs;
using Sandrun.Outputs;
using Sandrun.Receipts;

namespace Sandrun.Broker.Node;

/// <summary>Turns what the node's engine made of a job into the broker's completion: the report, its receipt and the outputs archive.</summary>
internal static class CompletionBuilder
{
    /// <summary>The report of a job that ran to an end (it has a result), with its engine-signed receipt.</summary>
    public static CompletionReport FromJob(Job job, long leaseToken)
    {
        var result = job.Result!;
        var (_, stdout, stderr) = job.Log.Snapshot();
        return new CompletionReport(
            job.Id, leaseToken, FailureNames.For(job.Status), result.ExitCode, FailureNames.For(job.FailureReason),
            Encoding.UTF8.GetString(stdout), Encoding.UTF8.GetString(stderr),
            new ExecutionMetadata(
                FailureNames.CpuSeconds(result.CpuTime), result.MemoryPeakBytes, FailureNames.WallMilliseconds(result.WallTime),
                result.ExitCode, result.Signal, job.Manifest.Environment, job.Manifest.Interpreter),
            job.Outputs.ToDictionary(o => o.Path, o => new OutputFileEntry(o.Path, o.SizeBytes, o.Sha256, o.Type), StringComparer.Ordinal),
            job.Receipt?.Text, job.Receipt?.Signature, job.SetupError);
    }

    /// <summary>
    /// The report of a job this node's engine refused (its limits, templates or interpreters differ from the
    /// broker's): failed with <c>setup_error</c>, receipted by this node's key so the broker can check who says so.
    /// </summary>
    public static CompletionReport Refused(ClaimedJob job, string reason, IResultSigner signer, DateTimeOffset now)
    {
        var receipt = Receipt.Create(signer, new ReceiptFields(
            job.JobId, job.JobHash, "failed", null, FailureNames.For(FailureReason.SetupError), 0, 0, 0, new Dictionary<string, string>(), now));
        return new CompletionReport(
            job.JobId, job.LeaseToken, "failed", null, FailureNames.For(FailureReason.SetupError), string.Empty, string.Empty, null,
            new Dictionary<string, OutputFileEntry>(), receipt?.Text, receipt?.Signature, "the node refused the job: " + reason);
    }

    /// <summary>The job's output files as a tar.gz, read beneath its workspace without following links; null when there are none.</summary>
    public static async Task<byte[]?> OutputsAsync(Job job, CancellationToken cancellationToken)
    {
        if (job.Outputs.Count == 0)
        {
            return null;
        }

        var buffer = new MemoryStream();
        using (var root = BeneathFile.OpenRoot(job.Workspace.Path))
        {
            await using var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true);
            await using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
            foreach (var output in job.Outputs)
            {
                using var handle = BeneathFile.OpenRegularFile(root, output.Path);
                if (handle is null)
                {
                    continue;
                }

                await using var data = new FileStream(handle, FileAccess.Read, 1);
                var entry = new PaxTarEntry(TarEntryType.RegularFile, output.Path)
                {
                    DataStream = data,
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                };
                await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }

        return buffer.ToArray();
    }
}
