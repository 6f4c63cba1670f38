namespace Sandrun.Server.EnvironmentTemplates;

/// <summary>
/// Fills a template from a directory of wheels (for hosts that reach PyPI or a mirror of it: download them there
/// with <c>pip download --only-binary=:all:</c>). pip installs binary wheels only: no source build, so no package
/// code runs on the host while the template is built.
/// </summary>
internal static class WheelSource
{
    /// <summary>The template's Python directory, relative to its root.</summary>
    public const string PythonDirectory = "python";

    public static async Task InstallAsync(EnvironmentDefinition definition, string wheels, string root, TextWriter log, CancellationToken cancellationToken)
    {
        if (definition.Pip.Count == 0)
        {
            throw new EnvironmentBuildException($"the definition of {definition.Name} lists no pip requirements");
        }

        if (!Directory.Exists(wheels))
        {
            throw new UsageException($"--wheels: {wheels} is not a directory");
        }

        await log.WriteLineAsync($"installing {definition.Pip.Count} requirements from the wheels in {wheels}").ConfigureAwait(false);
        await ToolProcess.RunAsync("/usr/bin/python3",
            ["-I", "-m", "pip", "install", "--quiet", "--no-index", "--find-links", Path.GetFullPath(wheels), "--only-binary=:all:", "--no-compile",
             "--disable-pip-version-check", "--no-warn-script-location", "--target", Path.Combine(root, PythonDirectory), "--", .. definition.Pip],
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
