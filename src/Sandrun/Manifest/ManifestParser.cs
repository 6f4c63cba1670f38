using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sandrun.Manifest;

/// <summary>Validates a job manifest (SPEC.md §3) and applies its defaults.</summary>
public static class ManifestParser
{
    /// <summary>Largest manifest text accepted, in characters; far above any valid manifest, it bounds parsing work.</summary>
    internal const int MaxManifestChars = 8 * 1024 * 1024;

    /// <summary>Largest <c>stdin</c>, in UTF-8 bytes (SPEC.md §9).</summary>
    internal const int MaxStdinBytes = 1024 * 1024;

    /// <summary>Most arguments <c>args</c> may hold.</summary>
    internal const int MaxArgs = 256;

    /// <summary>Largest total of all arguments, in UTF-8 bytes.</summary>
    internal const int MaxArgsBytes = 64 * 1024;

    /// <summary>Most patterns <c>outputs</c> may hold.</summary>
    internal const int MaxOutputs = 100;

    /// <summary>Smallest <c>memory_mb</c>: less cannot start any of the interpreters.</summary>
    internal const int MinMemoryMb = 16;

    private static readonly string[] Fields =
        ["entrypoint", "interpreter", "args", "env", "outputs", "environment", "requirements", "timeout", "memory_mb", "cpu_seconds", "gpu", "stdin"];

    private static readonly string[] GpuFields = ["required", "device_id", "min_vram_gb", "cuda_version", "compute_capability"];

    private static readonly string[] AutoEntrypoints = ["main.py", "index.js", "run.sh", "main.rb", "main.R"];

    private static readonly string[] RequirementFiles = ["requirements.txt", "package.json", "Gemfile"];

    private static readonly ReadOnlyDictionary<string, string> NoEnv = new(new Dictionary<string, string>());

    /// <summary>
    /// Checks a manifest against every rule of SPEC.md §3 and returns it normalized with defaults applied.
    /// The first rule broken is reported; JSON <c>null</c> for an optional field means the same as leaving it out.
    /// </summary>
    /// <param name="json">The <c>manifest</c> form field, or the uploaded <c>job.json</c>, as text; null when there is
    /// neither, which means every default (the entrypoint is auto-detected).</param>
    /// <param name="context">The upload and host configuration the manifest is checked against.</param>
    /// <returns>The normalized manifest.</returns>
    /// <exception cref="ManifestException">A rule is broken; <see cref="ManifestException.Field"/> names the field.</exception>
    public static JobManifest Parse(string? json, ManifestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (json is null)
        {
            return Build(new Dictionary<string, JsonElement>(), context);
        }

        if (json.Length > MaxManifestChars)
        {
            throw new ManifestException("manifest", $"is larger than {MaxManifestChars} characters");
        }

        using var document = ManifestJson.Parse(json);
        return Build(ManifestJson.Properties(document.RootElement, "manifest", string.Empty, Fields), context);
    }

    private static JobManifest Build(Dictionary<string, JsonElement> fields, ManifestContext context)
    {
        var uploaded = new HashSet<string>(context.UploadedFiles, StringComparer.Ordinal);
        var limits = context.Limits;
        var entrypoint = Entrypoint(fields, uploaded);
        return new JobManifest(
            entrypoint,
            Interpreter(fields, entrypoint, context.AvailableInterpreters),
            Args(fields),
            Env(fields),
            Outputs(fields),
            EnvironmentTemplate(fields, context.Environments),
            Requirements(fields, uploaded),
            Limit(fields, "timeout", 1, limits.DefaultTimeoutSeconds, limits.MaxTimeoutSeconds, "seconds of wall-clock time"),
            Limit(fields, "memory_mb", MinMemoryMb, limits.DefaultMemoryMb, limits.MaxMemoryMb, "MiB"),
            Limit(fields, "cpu_seconds", 1, limits.DefaultCpuSeconds, limits.MaxCpuSeconds, "CPU seconds"),
            Gpu(fields))
        {
            Stdin = Stdin(fields),
        };
    }

    private static string Stdin(Dictionary<string, JsonElement> fields)
    {
        if (!ManifestJson.TryGet(fields, "stdin", out var element))
        {
            return string.Empty;
        }

        var text = ManifestJson.String(element, "stdin");
        var bytes = Encoding.UTF8.GetByteCount(text);
        return bytes <= MaxStdinBytes
            ? text
            : throw new ManifestException("stdin", string.Create(CultureInfo.InvariantCulture, $"is {bytes} bytes of UTF-8; at most {MaxStdinBytes} are allowed"));
    }

    private static string Entrypoint(Dictionary<string, JsonElement> fields, HashSet<string> uploaded)
    {
        if (!ManifestJson.TryGet(fields, "entrypoint", out var element))
        {
            return Array.Find(AutoEntrypoints, uploaded.Contains)
                ?? throw new ManifestException("entrypoint", $"not given, and none of {string.Join(", ", AutoEntrypoints)} was uploaded at the top level");
        }

        var path = string.Join('/', RelativePath.Split(ManifestJson.String(element, "entrypoint"), "entrypoint", allowTrailingSlash: false, out _));
        if (uploaded.Contains(path))
        {
            return path;
        }

        var differentCase = uploaded.FirstOrDefault(f => string.Equals(f, path, StringComparison.OrdinalIgnoreCase));
        var hint = differentCase is null ? string.Empty : $" (names are case-sensitive: did you mean {ManifestException.Quote(differentCase)}?)";
        throw new ManifestException("entrypoint", $"{ManifestException.Quote(path)} is not among the uploaded files{hint}");
    }

    private static string Interpreter(Dictionary<string, JsonElement> fields, string entrypoint, IReadOnlyCollection<string> installed)
    {
        var available = Interpreters.All.Where(i => installed.Contains(i, StringComparer.Ordinal)).ToList();
        var choices = available.Count == 0 ? "no interpreter is installed on this host" : "available: " + string.Join(", ", available);
        if (ManifestJson.TryGet(fields, "interpreter", out var element))
        {
            var name = ManifestJson.String(element, "interpreter");
            if (!Interpreters.All.Contains(name, StringComparer.Ordinal))
            {
                throw new ManifestException("interpreter", $"unknown interpreter {ManifestException.Quote(name)}; {choices}");
            }

            return available.Contains(name)
                ? name
                : throw new ManifestException("interpreter", $"'{name}' is not installed on this host; {choices}");
        }

        var inferred = Interpreters.ForExtension(entrypoint)
            ?? throw new ManifestException("interpreter", $"not given and not implied by the extension of {ManifestException.Quote(entrypoint)} (.py .js .mjs .sh .rb .R .pl); {choices}");
        return available.Contains(inferred)
            ? inferred
            : throw new ManifestException("interpreter", $"{ManifestException.Quote(entrypoint)} needs '{inferred}', which is not installed on this host; {choices}");
    }

    private static ReadOnlyCollection<string> Args(Dictionary<string, JsonElement> fields)
    {
        if (!ManifestJson.TryGet(fields, "args", out var element))
        {
            return ReadOnlyCollection<string>.Empty;
        }

        var count = ManifestJson.Array(element, "args", "strings").GetArrayLength();
        if (count > MaxArgs)
        {
            throw new ManifestException("args", string.Create(CultureInfo.InvariantCulture, $"has {count} arguments; at most {MaxArgs} are allowed"));
        }

        var args = new string[count];
        long bytes = 0;
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            args[i] = ManifestJson.String(item, string.Create(CultureInfo.InvariantCulture, $"args[{i}]"));
            bytes += Encoding.UTF8.GetByteCount(args[i++]);
        }

        return bytes <= MaxArgsBytes
            ? Array.AsReadOnly(args)
            : throw new ManifestException("args", string.Create(CultureInfo.InvariantCulture, $"total {bytes} bytes of UTF-8; at most {MaxArgsBytes} are allowed"));
    }

    private static ReadOnlyDictionary<string, string> Env(Dictionary<string, JsonElement> fields)
    {
        if (!ManifestJson.TryGet(fields, "env", out var element))
        {
            return NoEnv;
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var (name, valueElement) in ManifestJson.Properties(element, "env", "env.", known: null))
        {
            var field = "env." + name;
            if (!EnvironmentRules.IsValidName(name))
            {
                throw new ManifestException(field, "is not a valid variable name: names match [A-Za-z_][A-Za-z0-9_]*");
            }

            if (EnvironmentRules.ForbiddenReason(name) is { } reason)
            {
                throw new ManifestException(field, $"cannot be set: {name} {reason}");
            }

            var value = ManifestJson.String(valueElement, field);
            env.Add(name, value);
            bytes += Encoding.UTF8.GetByteCount(name) + 1 + Encoding.UTF8.GetByteCount(value);
        }

        return bytes <= EnvironmentRules.MaxTotalBytes
            ? env.AsReadOnly()
            : throw new ManifestException("env", string.Create(CultureInfo.InvariantCulture, $"NAME=value entries total {bytes} bytes of UTF-8; at most {EnvironmentRules.MaxTotalBytes} are allowed"));
    }

    private static ReadOnlyCollection<string> Outputs(Dictionary<string, JsonElement> fields)
    {
        if (!ManifestJson.TryGet(fields, "outputs", out var element))
        {
            return ReadOnlyCollection<string>.Empty;
        }

        var count = ManifestJson.Array(element, "outputs", "glob patterns (strings)").GetArrayLength();
        if (count > MaxOutputs)
        {
            throw new ManifestException("outputs", string.Create(CultureInfo.InvariantCulture, $"has {count} patterns; at most {MaxOutputs} are allowed"));
        }

        var patterns = new string[count];
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            var field = string.Create(CultureInfo.InvariantCulture, $"outputs[{i}]");
            patterns[i++] = OutputGlob.Parse(ManifestJson.String(item, field), field).Pattern;
        }

        return Array.AsReadOnly(patterns);
    }

    private static string? EnvironmentTemplate(Dictionary<string, JsonElement> fields, IReadOnlyCollection<string> templates)
    {
        if (!ManifestJson.TryGet(fields, "environment", out var element))
        {
            return null;
        }

        var name = ManifestJson.String(element, "environment");
        if (templates.Contains(name, StringComparer.Ordinal))
        {
            return name;
        }

        var choices = templates.Count == 0
            ? "this server has no environment templates"
            : "available: " + string.Join(", ", templates.Order(StringComparer.Ordinal));
        throw new ManifestException("environment", $"unknown environment template {ManifestException.Quote(name)}; {choices}");
    }

    private static string? Requirements(Dictionary<string, JsonElement> fields, HashSet<string> uploaded)
    {
        if (!ManifestJson.TryGet(fields, "requirements", out var element))
        {
            return null;
        }

        var name = ManifestJson.String(element, "requirements");
        if (!RequirementFiles.Contains(name, StringComparer.Ordinal))
        {
            throw new ManifestException("requirements", $"must be one of {string.Join(", ", RequirementFiles)} (got {ManifestException.Quote(name)})");
        }

        return uploaded.Contains(name)
            ? name
            : throw new ManifestException("requirements", $"'{name}' was not uploaded (it must be at the top level of the upload)");
    }

    private static int Limit(Dictionary<string, JsonElement> fields, string field, int min, int defaultValue, int max, string unit)
    {
        return ManifestJson.TryGet(fields, field, out var element)
            ? ManifestJson.Integer(element, field, min, max, string.Create(CultureInfo.InvariantCulture, $"an integer from {min} to {max} ({unit})"))
            : defaultValue;
    }

    private static GpuRequest? Gpu(Dictionary<string, JsonElement> fields)
    {
        if (!ManifestJson.TryGet(fields, "gpu", out var element))
        {
            return null;
        }

        var gpu = ManifestJson.Properties(element, "gpu", "gpu.", GpuFields);
        var request = new GpuRequest(
            ManifestJson.TryGet(gpu, "required", out var required) && ManifestJson.Boolean(required, "gpu.required"),
            ManifestJson.TryGet(gpu, "device_id", out var device) ? ManifestJson.Integer(device, "gpu.device_id", 0, int.MaxValue, "a device index, an integer of at least 0") : null,
            ManifestJson.TryGet(gpu, "min_vram_gb", out var vram) ? ManifestJson.PositiveNumber(vram, "gpu.min_vram_gb") : null,
            ManifestJson.TryGet(gpu, "cuda_version", out var cuda) ? Version(cuda, "gpu.cuda_version", 1, 3, "a CUDA version such as 12.2") : null,
            ManifestJson.TryGet(gpu, "compute_capability", out var capability) ? Version(capability, "gpu.compute_capability", 2, 2, "a compute capability such as 8.6") : null);

        // GPU passthrough (device nodes, device cgroup rules, CUDA_VISIBLE_DEVICES) is not implemented, so no host has
        // a matching GPU: a job that needs one is refused here rather than run without it.
        return request.Required
            ? throw new ManifestException("gpu.required", "this server does not give GPUs to jobs; set gpu.required to false (or leave gpu out) to run without a GPU")
            : request;
    }

    // Dotted numbers only, so a request that no GPU could ever satisfy is caught at submission.
    private static string Version(JsonElement element, string field, int minParts, int maxParts, string expectation)
    {
        var text = ManifestJson.String(element, field);
        var parts = text.Split('.');
        return parts.Length >= minParts && parts.Length <= maxParts && parts.All(p => p.Length is > 0 and <= 4 && p.All(char.IsAsciiDigit))
            ? text
            : throw new ManifestException(field, $"must be {expectation} (got {ManifestException.Quote(text)})");
    }
}
