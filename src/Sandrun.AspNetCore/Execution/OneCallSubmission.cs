using System.Formats.Tar;
using System.Text.Json.Nodes;
using Sandrun.Intake;
using Sandrun.Runtimes;

namespace Sandrun.AspNetCore.Execution;

/// <summary>
/// What a one-call request (<c>POST /execute</c>, Piston's <c>/api/v2/execute</c>) submits: its files as one tar and a
/// manifest naming the language's interpreter, so the job takes exactly the <c>POST /submit</c> path (intake, manifest
/// validation, quotas, sandbox, receipt).
/// </summary>
internal static class OneCallSubmission
{
    /// <summary>
    /// Builds the upload and the manifest text. The entrypoint is <paramref name="entrypoint"/> when given, else the
    /// first file. <paramref name="fields"/> are manifest fields passed through as the request gave them (<c>args</c>,
    /// <c>env</c>, <c>stdin</c>, limits), so the manifest's own checks name them.
    /// </summary>
    public static (UploadPart Part, string Manifest) Build(Language language, IReadOnlyList<OneCallFile> files, string? entrypoint, JsonObject fields)
    {
        var manifest = new JsonObject
        {
            ["entrypoint"] = entrypoint ?? files[0].Name,
            ["interpreter"] = language.Interpreter,
        };
        foreach (var (name, value) in fields)
        {
            manifest[name] = value?.DeepClone();
        }

        if (language.Interpreter == "python3")
        {
            // Imported helper modules would otherwise leave __pycache__/*.pyc among the outputs.
            var env = manifest["env"] as JsonObject ?? (manifest["env"] is null ? new JsonObject() : null);
            if (env is not null && !env.ContainsKey("PYTHONDONTWRITEBYTECODE"))
            {
                env["PYTHONDONTWRITEBYTECODE"] = "1";
                manifest["env"] = env;
            }
        }

        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, file.Name)
                {
                    DataStream = new MemoryStream(file.Content, writable: false),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                });
            }
        }

        tar.Position = 0;
        return (new UploadPart("files.tar", tar), manifest.ToJsonString());
    }
}
