using Sandrun.Abstractions;
using Sandrun.Manifest;

namespace Sandrun.Jobs;

/// <summary>
/// The dependency install step that runs before a job, in its own sandbox with the job's limits, from an
/// operator-configured offline mirror or (only when the operator allows the network) the configured registry. Python
/// packages and gems land in <c>/workspace/.sandrun/</c> and npm's in <c>/workspace/node_modules</c>; none of it is
/// reported as output unless a pattern names it.
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

    /// <summary>Where install steps run: the step's own empty /tmp, not the workspace.</summary>
    private const string InstallDirectory = "/tmp";

    // -I: python's isolated mode (no script directory or cwd on sys.path, no PYTHON* variables, no user site).
    private static readonly string[] Pip = ["python3", "-I", "-m", "pip", "install"];

    private static readonly string[] PipArgs =
    [
        "--target", PythonTarget, "--disable-pip-version-check", "--no-cache-dir", "--no-input", "--progress-bar", "off",
        "-r", SandboxSpec.WorkspaceMountPath + "/requirements.txt",
    ];

    private static readonly string[] Npm = ["npm", "install", "--prefix", SandboxSpec.WorkspaceMountPath, "--no-audit", "--no-fund", "--no-update-notifier"];

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

    /// <summary>
    /// The install step's spec (same workspace and limits as the job), or null when there is nothing to install.
    /// <paramref name="registries"/> is where networked steps may connect; null when the network is not allowed.
    /// </summary>
    /// <remarks>
    /// The step is job code too (setup.py, npm scripts, a Gemfile), but the installer itself must be the real one: the
    /// step runs from the empty /tmp with absolute paths into the workspace and python's isolated mode, so an uploaded
    /// <c>pip/</c> next to the requirements is never imported in place of it. The manifest's env is
    /// not passed (PYTHONPATH, RUBYLIB and the like are the job's, not the installer's).
    /// </remarks>
    public static SandboxSpec? Spec(JobManifest manifest, RequirementsOptions options, RegistryEgress? registries, string workspace, SandboxLimits limits)
    {
        var spec = manifest.Requirements switch
        {
            "requirements.txt" when options.PipFindLinks is { } mirror => new SandboxSpec([.. Pip, "--no-index", "--find-links", PipMirror, .. PipArgs], workspace, limits)
            {
                ReadOnlyMounts = [new ReadOnlyMount(Path.GetFullPath(mirror), PipMirror)],
            },

            // npm writes to its cache even offline, so it works on a copy in the job's /tmp. The registry URL goes
            // through the environment, never into the script text.
            "package.json" when options.NpmCache is { } cache => new SandboxSpec(
                ["/bin/sh", "-c", "cp -R " + NpmMirror + " /tmp/npm-cache && exec " + string.Join(' ', Npm) + " --offline --cache /tmp/npm-cache --registry \"$SANDRUN_NPM_REGISTRY\""],
                workspace, limits)
            {
                ReadOnlyMounts = [new ReadOnlyMount(Path.GetFullPath(cache), NpmMirror)],
                Environment = new Dictionary<string, string> { ["SANDRUN_NPM_REGISTRY"] = options.NpmRegistry },
            },

            // bundler also writes to its cache path: it gets a copy in /tmp too.
            "Gemfile" when options.GemCache is { } gems => new SandboxSpec(["/bin/sh", "-c", "cp -R " + GemMirror + " /tmp/gem-cache && exec bundle install --local"], workspace, limits)
            {
                ReadOnlyMounts = [new ReadOnlyMount(Path.GetFullPath(gems), GemMirror)],
                Environment = new Dictionary<string, string> { ["BUNDLE_CACHE_PATH"] = "/tmp/gem-cache", ["BUNDLE_PATH"] = BundlePath, ["BUNDLE_GEMFILE"] = Gemfile },
            },

            "requirements.txt" when registries is not null => new SandboxSpec([.. Pip, "--index-url", options.PipIndexUrl, .. PipArgs], workspace, limits)
            {
                Egress = registries.Pip,
            },
            "package.json" when registries is not null => new SandboxSpec([.. Npm, "--registry", options.NpmRegistry], workspace, limits)
            {
                Egress = registries.Npm,
            },

            // mirror.all: whatever source the Gemfile names, bundler fetches from the configured one.
            "Gemfile" when registries is not null => new SandboxSpec(["bundle", "install"], workspace, limits)
            {
                Egress = registries.Gem,
                Environment = new Dictionary<string, string> { ["BUNDLE_PATH"] = BundlePath, ["BUNDLE_GEMFILE"] = Gemfile, ["BUNDLE_MIRROR__ALL"] = options.GemSource },
            },
            _ => null,
        };
        return spec is null ? null : spec with { WorkingDirectory = InstallDirectory };
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
