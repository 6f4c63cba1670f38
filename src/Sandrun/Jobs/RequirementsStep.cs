using Sandrun.Abstractions;
using Sandrun.Manifest;

namespace Sandrun.Jobs;

/// <summary>
/// The dependency install step that runs before a job, in its own sandbox with the job's limits, from an
/// operator-configured offline mirror. Python packages and gems land in <c>/workspace/.sandrun/</c> and npm's
/// in <c>/workspace/node_modules</c>; none of it is reported as output unless a pattern names it.
/// </summary>
internal static class RequirementsStep
{
    /// <summary>Workspace-relative directory the install step writes to.</summary>
    public const string Directory = ".sandrun";

    private const string PipMirror = "/opt/sandrun/mirror/pip";
    private const string NpmMirror = "/opt/sandrun/mirror/npm";
    private const string GemMirror = "/opt/sandrun/mirror/gems";
    private const string BundlePath = SandboxSpec.WorkspaceMountPath + "/" + Directory + "/bundle";
    private const string Gemfile = SandboxSpec.WorkspaceMountPath + "/Gemfile";
    private const string PythonTarget = SandboxSpec.WorkspaceMountPath + "/" + Directory + "/python";

    /// <summary>Why the requirements cannot be installed here, or null when they can.</summary>
    public static string? Refusal(JobManifest manifest, RequirementsOptions options) => manifest.Requirements switch
    {
        null => null,
        "requirements.txt" when options.PipFindLinks is null && !options.AllowNetwork => "requirements: no Python package mirror is configured on this server",
        "requirements.txt" when manifest.Interpreter != "python3" => "requirements: requirements.txt needs the python3 interpreter",
        "requirements.txt" => null,
        "package.json" when options.NpmCache is null && !options.AllowNetwork => "requirements: no npm package cache is configured on this server",
        "package.json" when manifest.Interpreter != "node" => "requirements: package.json needs the node interpreter",
        "package.json" => null,
        "Gemfile" when options.GemCache is null && !options.AllowNetwork => "requirements: no gem cache is configured on this server",
        "Gemfile" when manifest.Interpreter != "ruby" => "requirements: Gemfile needs the ruby interpreter",
        "Gemfile" => null,
        var other => $"requirements: installing {other} is not available on this server",
    };

    /// <summary>The install step's spec (same workspace and limits as the job), or null when there is nothing to install.</summary>
    public static SandboxSpec? Spec(JobManifest manifest, RequirementsOptions options, string workspace, SandboxLimits limits) => manifest.Requirements switch
    {
        "requirements.txt" when options.PipFindLinks is { } mirror => new SandboxSpec(
            ["python3", "-m", "pip", "install", "--no-index", "--find-links", PipMirror, "--target", PythonTarget,
             "--disable-pip-version-check", "--no-cache-dir", "--no-input", "--progress-bar", "off", "-r", manifest.Requirements],
            workspace, limits)
        {
            ReadOnlyMounts = [new ReadOnlyMount(Path.GetFullPath(mirror), PipMirror)],
        },

        // npm writes to its cache even offline, so it works on a copy in the job's /tmp. The registry URL goes
        // through the environment, never into the script text.
        "package.json" when options.NpmCache is { } cache => new SandboxSpec(
            ["/bin/sh", "-c", "cp -R " + NpmMirror + " /tmp/npm-cache && exec npm install --offline --cache /tmp/npm-cache --registry \"$SANDRUN_NPM_REGISTRY\" --no-audit --no-fund --no-update-notifier"],
            workspace, limits)
        {
            ReadOnlyMounts = [new ReadOnlyMount(Path.GetFullPath(cache), NpmMirror)],
            Environment = new Dictionary<string, string> { ["SANDRUN_NPM_REGISTRY"] = options.NpmRegistry },
        },

        // bundler also writes to its cache path: it gets a copy in /tmp too.
        "Gemfile" when options.GemCache is { } gems => new SandboxSpec(
            ["/bin/sh", "-c", "cp -R " + GemMirror + " /tmp/gem-cache && exec bundle install --local"],
            workspace, limits)
        {
            ReadOnlyMounts = [new ReadOnlyMount(Path.GetFullPath(gems), GemMirror)],
            Environment = new Dictionary<string, string>
            {
                ["BUNDLE_CACHE_PATH"] = "/tmp/gem-cache",
                ["BUNDLE_PATH"] = BundlePath,
                ["BUNDLE_GEMFILE"] = Gemfile,
            },
        },
        _ when options.AllowNetwork => Networked(manifest, options, workspace, limits),
        _ => null,
    };

    /// <summary>The operator allowed the network and configured no mirror for this kind of requirements.</summary>
    private static SandboxSpec? Networked(JobManifest manifest, RequirementsOptions options, string workspace, SandboxLimits limits)
    {
        IReadOnlyList<string>? argv = manifest.Requirements switch
        {
            "requirements.txt" => [
                "python3", "-m", "pip", "install", "--target", PythonTarget, "--disable-pip-version-check", "--no-cache-dir",
                "--no-input", "--progress-bar", "off", .. options.PipIndexUrl is { } index ? new[] { "--index-url", index } : [],
                "-r", manifest.Requirements],
            "package.json" => ["npm", "install", "--no-audit", "--no-fund", "--no-update-notifier", "--registry", options.NpmRegistry],
            "Gemfile" => ["bundle", "install"],
            _ => null,
        };
        return argv is null ? null : new SandboxSpec(argv, workspace, limits)
        {
            Network = true,
            Environment = new Dictionary<string, string> { ["BUNDLE_PATH"] = BundlePath, ["BUNDLE_GEMFILE"] = Gemfile },
        };
    }

    /// <summary>Whether a workspace path was put there by an install step (not an output unless a pattern says so).</summary>
    public static bool IsInstalled(string path) =>
        path.StartsWith(Directory + "/", StringComparison.Ordinal) || path.StartsWith("node_modules/", StringComparison.Ordinal)
        || path is "package-lock.json" or "Gemfile.lock";

    /// <summary>Environment for the job itself so it finds what was installed.</summary>
    public static void AddToEnvironment(JobManifest manifest, IDictionary<string, string> env)
    {
        if (manifest.Requirements == "requirements.txt")
        {
            env["PYTHONPATH"] = env.TryGetValue("PYTHONPATH", out var own) && own.Length > 0 ? PythonTarget + ":" + own : PythonTarget;
        }
        else if (manifest.Requirements == "Gemfile")
        {
            // RUBYOPT is closed to manifests; here it only loads bundler's setup for the installed bundle.
            env["BUNDLE_PATH"] = BundlePath;
            env["BUNDLE_GEMFILE"] = Gemfile;
            env["RUBYOPT"] = "-rbundler/setup";
        }
    }
}
