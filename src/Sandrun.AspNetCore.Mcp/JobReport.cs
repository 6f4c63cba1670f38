using System.Text;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Contracts;
using Sandrun.Jobs;

namespace Sandrun.AspNetCore.Mcp;

/// <summary>What the tools say about a job: status, the real measured figures, output (capped) and output files.</summary>
internal static class JobReport
{
    public static Dictionary<string, object?> For(Job job, int queuePosition, int inlineBytes, IReadOnlyList<string> notes, IResultSigner? signer)
    {
        var result = job.Result;
        var report = new Dictionary<string, object?>
        {
            ["job_id"] = job.Id,
            ["status"] = FailureNames.For(job.Status),
            ["queue_position"] = queuePosition,
            ["exit_code"] = result?.ExitCode,
            ["signal"] = result?.Signal,
            ["failure_reason"] = FailureNames.For(job.FailureReason),
            ["error"] = job.SetupError,
            ["cpu_seconds"] = result is null ? null : FailureNames.CpuSeconds(result.CpuTime),
            ["memory_peak_bytes"] = result?.MemoryPeakBytes,
            ["wall_time_ms"] = result is null ? null : FailureNames.WallMilliseconds(result.WallTime),
            ["interpreter"] = job.Manifest.Interpreter,
        };
        var allNotes = new List<string>(notes);
        allNotes.AddRange(job.Notes);
        AddLogs(report, job, inlineBytes, allNotes);

        report["outputs"] = Outputs(job);
        report["job_hash"] = job.JobHash;
        report["worker_metadata"] = WorkerMetadata.Of(job, signer);
        if (!job.IsFinished)
        {
            allNotes.Add("the job has not finished; call check_job_status with this job_id for the result");
        }

        report["notes"] = allNotes;
        return report;
    }

    /// <summary>stdout and stderr as text (invalid UTF-8 replaced), each cut to <paramref name="inlineBytes"/> by eliding the middle.</summary>
    public static void AddLogs(Dictionary<string, object?> report, Job job, int inlineBytes, List<string> notes)
    {
        var (_, stdout, stderr) = job.Log.Snapshot();
        report["stdout"] = Elide(stdout, inlineBytes, "stdout", notes);
        report["stderr"] = Elide(stderr, inlineBytes, "stderr", notes);
        report["output_truncated"] = job.Log.Truncated;
        if (job.Log.Truncated)
        {
            notes.Add("the job's output reached the per-stream limit; the rest was discarded and the job was stopped");
        }
    }

    public static List<Dictionary<string, object>> Outputs(Job job) =>
        [.. job.Outputs.Select(o => new Dictionary<string, object>
        {
            ["path"] = o.Path,
            ["size_bytes"] = o.SizeBytes,
            ["mime_type"] = o.MimeType,
            ["sha256_hash"] = o.Sha256,
        })];

    private static string Elide(byte[] data, int max, string stream, List<string> notes)
    {
        if (data.Length <= max)
        {
            return Encoding.UTF8.GetString(data);
        }

        var headEnd = Boundary(data, max / 2);
        var tailStart = Boundary(data, data.Length - (max / 2));
        var omitted = tailStart - headEnd;
        notes.Add($"{stream} is {data.Length} bytes; the middle {omitted} bytes are left out here (the HTTP API's /logs/{{job_id}} has all of it)");
        return Encoding.UTF8.GetString(data, 0, headEnd) + $"\n[… {omitted} bytes left out …]\n" + Encoding.UTF8.GetString(data, tailStart, data.Length - tailStart);
    }

    /// <summary>Moves back to the start of a UTF-8 sequence, so a cut never splits a character.</summary>
    private static int Boundary(byte[] data, int index)
    {
        var i = index;
        while (i > 0 && i < data.Length && (data[i] & 0xC0) == 0x80 && index - i < 4)
        {
            i--;
        }

        return i;
    }
}
