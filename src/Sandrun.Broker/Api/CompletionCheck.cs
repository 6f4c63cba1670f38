using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Sandrun.Broker.Contracts;
using Sandrun.Broker.Storage;
using Sandrun.Receipts;

namespace Sandrun.Broker.Api;

/// <summary>
/// Checks a node's completion before the broker believes it: the receipt is signed by the key the node proved at
/// registration, names this job and the job hash computed at submit, states the reported status, exit code and
/// failure reason, and lists exactly the files (by SHA-256) that the uploaded outputs archive holds.
/// </summary>
internal static class CompletionCheck
{
    /// <summary>Null when everything holds; otherwise what does not.</summary>
    public static string? Problem(CompletionReport report, BrokerJobRecord job, BrokerNode node, byte[]? outputs, long maxOutputBytes)
    {
        if (report.Receipt is null || report.Signature is null)
        {
            return "the result carries no signed receipt";
        }

        if (!ReceiptVerifier.Verify(report.Receipt, report.Signature, node.WorkerId))
        {
            return "the receipt's signature does not verify against the node's registered key";
        }

        using var receipt = JsonDocument.Parse(report.Receipt);
        var root = receipt.RootElement;
        if (Text(root, "job_id") != job.Id)
        {
            return "the receipt names another job";
        }

        if (Text(root, "job_hash") != job.JobHash)
        {
            return "the receipt's job_hash is not the hash of what was submitted";
        }

        if (Text(root, "status") != report.Status || Text(root, "failure_reason") != report.FailureReason || Integer(root, "exit_code") != report.ExitCode)
        {
            return "the reported status, exit code or failure reason differs from the receipt's";
        }

        var signed = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("outputs", out var list) && list.ValueKind == JsonValueKind.Object)
        {
            foreach (var output in list.EnumerateObject())
            {
                signed[output.Name] = output.Value.GetString() ?? string.Empty;
            }
        }

        Dictionary<string, string> uploaded;
        try
        {
            uploaded = outputs is null ? [] : Hashes(outputs, maxOutputBytes);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or ArgumentException or InvalidOperationException)
        {
            return "the outputs archive is not a valid tar.gz";
        }

        return signed.Count == uploaded.Count && signed.All(s => uploaded.TryGetValue(s.Key, out var sha) && sha == s.Value)
            ? null
            : "the outputs archive does not hold exactly the files the receipt lists";
    }

    private static Dictionary<string, string> Hashes(byte[] archive, long maxBytes)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        using var gzip = new GZipStream(new MemoryStream(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        long total = 0;
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
            {
                continue;
            }

            total += entry.Length;
            if (total > maxBytes)
            {
                throw new InvalidDataException("outputs archive larger than allowed");
            }

            hashes[entry.Name] = Convert.ToHexStringLower(SHA256.HashData(entry.DataStream));
        }

        return hashes;
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Integer(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;
}
