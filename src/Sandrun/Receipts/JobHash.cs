using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Sandrun.Manifest;

namespace Sandrun.Receipts;

/// <summary>
/// <c>job_hash</c> (SPEC.md §6): lowercase hex SHA-256 of the RFC 8785 canonical JSON of
/// <c>{"manifest": normalized manifest with defaults, "files": {path: sha256}}</c> over every uploaded file.
/// </summary>
public static class JobHash
{
    /// <summary>
    /// The normalized manifest as JSON, field names as in SPEC.md §3, every default applied; <c>stdin</c> appears only
    /// when the job has one (so the hashes of jobs without stdin are what they were before the field existed).
    /// </summary>
    public static JsonObject ManifestJson(JobManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var env = new JsonObject();
        foreach (var (name, value) in manifest.Env)
        {
            env[name] = value;
        }

        var json = new JsonObject
        {
            ["entrypoint"] = manifest.Entrypoint,
            ["interpreter"] = manifest.Interpreter,
            ["args"] = new JsonArray([.. manifest.Args.Select(a => (JsonNode?)JsonValue.Create(a))]),
            ["env"] = env,
            ["outputs"] = new JsonArray([.. manifest.Outputs.Select(o => (JsonNode?)JsonValue.Create(o))]),
            ["environment"] = manifest.Environment,
            ["requirements"] = manifest.Requirements,
            ["timeout"] = manifest.TimeoutSeconds,
            ["memory_mb"] = manifest.MemoryMb,
            ["cpu_seconds"] = manifest.CpuSeconds,
            ["gpu"] = manifest.Gpu is { } gpu
                ? new JsonObject
                {
                    ["required"] = gpu.Required,
                    ["device_id"] = gpu.DeviceId,
                    ["min_vram_gb"] = gpu.MinVramGb,
                    ["cuda_version"] = gpu.CudaVersion,
                    ["compute_capability"] = gpu.ComputeCapability,
                }
                : null,
        };
        if (manifest.Stdin.Length > 0)
        {
            json["stdin"] = manifest.Stdin;
        }

        return json;
    }

    /// <summary>The job hash.</summary>
    public static string Compute(JobManifest manifest, IReadOnlyDictionary<string, string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var fileHashes = new JsonObject();
        foreach (var (path, sha) in files)
        {
            fileHashes[path] = sha;
        }

        var document = new JsonObject { ["manifest"] = ManifestJson(manifest), ["files"] = fileHashes };
        return Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.SerializeToUtf8(document)));
    }
}
