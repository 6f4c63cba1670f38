using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.Broker.Intake;

/// <summary>
/// The original broker's JSON submission, <c>{"code", "interpreter", "args"}</c>: the code becomes one file named for
/// its interpreter and the rest a manifest, then it is checked like any other submission.
/// </summary>
internal static class CodeSubmission
{
    private const int MaxBodyBytes = 4 << 20;

    private static readonly Dictionary<string, string> FileNames = new(StringComparer.Ordinal)
    {
        ["python3"] = "main.py", ["node"] = "index.js", ["bash"] = "run.sh", ["sh"] = "run.sh", ["ruby"] = "main.rb", ["Rscript"] = "main.R", ["perl"] = "main.pl",
    };

    public static async Task<(IReadOnlyList<UploadPart> Parts, string Manifest)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        var buffer = new byte[16384];
        int n;
        while ((n = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (body.Length + n > MaxBodyBytes)
            {
                throw new SubmitException(SubmitRefusal.UploadTooLarge, $"a JSON submission is at most {MaxBodyBytes >> 20} MiB; send larger jobs as multipart files");
            }

            body.Write(buffer, 0, n);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new SubmitException(SubmitRefusal.InvalidManifest, $"body: not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SubmitException(SubmitRefusal.InvalidManifest, "body: expected a JSON object {\"code\", \"interpreter\", \"args\"}");
            }

            string? code = null;
            var interpreter = "python3";
            JsonElement? args = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "code" when property.Value.ValueKind == JsonValueKind.String:
                        code = property.Value.GetString();
                        break;
                    case "code":
                        throw new SubmitException(SubmitRefusal.InvalidManifest, "code: must be a string");
                    case "interpreter" when property.Value.ValueKind == JsonValueKind.String:
                        interpreter = property.Value.GetString()!;
                        break;
                    case "interpreter":
                        throw new SubmitException(SubmitRefusal.InvalidManifest, "interpreter: must be a string");
                    case "args":
                        args = property.Value.Clone();
                        break;
                    default:
                        throw new SubmitException(SubmitRefusal.InvalidManifest, $"{Shorten(property.Name)}: unknown field (expected code, interpreter, args)");
                }
            }

            if (code is null)
            {
                throw new SubmitException(SubmitRefusal.InvalidManifest, "code: required");
            }

            if (!FileNames.TryGetValue(interpreter, out var fileName))
            {
                throw new SubmitException(SubmitRefusal.InvalidManifest, $"interpreter: unknown '{Shorten(interpreter)}' (available: {string.Join(", ", FileNames.Keys)})");
            }

            // The manifest parser checks args like any manifest's (types, counts, sizes).
            var manifest = new JsonObject { ["entrypoint"] = fileName, ["interpreter"] = interpreter };
            if (args is { } given)
            {
                manifest["args"] = JsonNode.Parse(given.GetRawText());
            }

            return ([new UploadPart(fileName, new MemoryStream(Encoding.UTF8.GetBytes(code)))], manifest.ToJsonString());
        }
    }

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
