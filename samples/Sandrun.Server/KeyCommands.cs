using System.Text.Json;
using Sandrun.Receipts;

namespace Sandrun.Server;

/// <summary><c>--generate-key [FILE]</c> and <c>verify --status FILE.json [--worker-id ID]</c>.</summary>
internal static class KeyCommands
{
    public const string DefaultKeyFile = "./worker_key.pem";

    public static int GenerateKey(string[] args)
    {
        var path = args.Length > 0 ? args[0] : DefaultKeyFile;
        try
        {
            using var signer = Ed25519Signer.Generate();
            signer.Save(path);
            Console.WriteLine($"Worker ID: {signer.WorkerId}");
            return 0;
        }
        catch (KeyFileException e)
        {
            Console.Error.WriteLine($"sandrun: {e.Message}");
            return 1;
        }
    }

    /// <summary>Exit 0 when the /status document's receipt is validly signed (by the given worker, if any) and signs what the status reports, else 1.</summary>
    public static int Verify(string[] args)
    {
        string? statusFile = null;
        string? expectedWorker = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new UsageException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--status": statusFile = value; i++; break;
                case "--worker-id": expectedWorker = value; i++; break;
                default: throw new UsageException($"unknown verify option '{args[i]}'");
            }
        }

        if (statusFile is null)
        {
            throw new UsageException("verify needs --status FILE.json (a saved GET /status response)");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(statusFile));
            var check = StatusReceipt.Check(document.RootElement, expectedWorker);
            if (!check.Valid)
            {
                return Fail(check.Message);
            }

            Console.WriteLine($"valid: {check.Message}");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Fail($"cannot read '{statusFile}' as a /status response: {e.Message}");
        }
    }

    private static int Fail(string why)
    {
        Console.Error.WriteLine($"invalid: {why}");
        return 1;
    }
}
