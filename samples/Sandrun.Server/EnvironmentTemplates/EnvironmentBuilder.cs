using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.EnvironmentTemplates;
using Sandrun.Jobs;
using Sandrun.Linux;
using Sandrun.Linux.Workspace;

namespace Sandrun.Server.EnvironmentTemplates;

/// <summary>
/// Builds a template next to its destination, describes it (<see cref="EnvironmentDescriptor"/>), proves in the
/// sandbox that a job can import what the definition promises, then swaps it in: a failed build leaves the
/// previous template untouched.
/// </summary>
internal static partial class EnvironmentBuilder
{
    public static async Task<EnvironmentDescriptor> BuildAsync(EnvironmentDefinition definition, string? wheels, string output, TextWriter log, CancellationToken cancellationToken = default)
    {
        output = Path.GetFullPath(output);
        var parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        RequireSearchable(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(output)}.building-{Guid.NewGuid():n}");
        var downloads = Path.Combine(Path.GetTempPath(), $"sandrun-environment-{Guid.NewGuid():n}");
        Directory.CreateDirectory(staging);
        File.SetUnixFileMode(staging, (UnixFileMode)0x1ed);
        try
        {
            string source, pythonDirectory;
            if (wheels is null)
            {
                await DebianSource.InstallAsync(definition, staging, downloads, log, cancellationToken).ConfigureAwait(false);
                (source, pythonDirectory) = ("debian", DebianSource.PythonDirectory);
            }
            else
            {
                await WheelSource.InstallAsync(definition, wheels, staging, log, cancellationToken).ConfigureAwait(false);
                (source, pythonDirectory) = ("wheels", WheelSource.PythonDirectory);
            }

            RelinkIntoTemplate(staging);
            var mountPath = EngineEnvironment.TemplateMountPath(definition.Name);
            var pythonPath = Directory.Exists(Path.Combine(staging, pythonDirectory)) ? new[] { pythonDirectory } : [];
            await CompileAsync(staging, pythonPath, mountPath, log, cancellationToken).ConfigureAwait(false);
            var descriptor = new EnvironmentDescriptor(
                definition.Name, definition.Description, source, pythonPath, LibraryDirectories(staging, pythonPath),
                definition.Variables.ToDictionary(v => v.Key, v => v.Value.Replace("{template}", mountPath, StringComparison.Ordinal), StringComparer.Ordinal),
                [.. pythonPath.SelectMany(p => Distributions(Path.Combine(staging, p))).DistinctBy(p => p.Name.ToLowerInvariant()).OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)]);
            descriptor.Write(staging);
            await VerifyAsync(definition, descriptor, staging, mountPath, log).ConfigureAwait(false);
            Swap(staging, output);
            return descriptor;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            if (Directory.Exists(downloads))
            {
                Directory.Delete(downloads, recursive: true);
            }
        }
    }

    /// <summary>Jobs reach a template through its host path's directories, as a user that owns none of them.</summary>
    private static void RequireSearchable(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if ((dir.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                throw new EnvironmentBuildException(string.Create(CultureInfo.InvariantCulture,
                    $"jobs could not reach a template in {directory}: {dir.FullName} is not searchable by others (mode {Convert.ToString((int)dir.UnixFileMode, 8)}); choose another --output or chmod o+x it"));
            }
        }
    }

    /// <summary>
    /// Byte-compiles the Python tree, as Debian's maintainer scripts would: a job sees the template read-only and
    /// could not write its own caches, so every import would compile again. File names in the compiled code are
    /// the ones a job sees, not the host's.
    /// </summary>
    private static async Task CompileAsync(string root, IReadOnlyList<string> pythonPath, string mountPath, TextWriter log, CancellationToken cancellationToken)
    {
        foreach (var directory in pythonPath)
        {
            try
            {
                await ToolProcess.RunAsync("/usr/bin/python3",
                    ["-I", "-m", "compileall", "-q", "-j", "0", "-s", root, "-p", mountPath, Path.Combine(root, directory)], cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (EnvironmentBuildException e)
            {
                // compileall reports files it cannot compile (e.g. Python 2 examples shipped as data); the rest is compiled.
                await log.WriteLineAsync("note: some files were left uncompiled: " + e.Message.Split('\n')[0]).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Packages link to their own files by absolute path (matplotlib's mpl-data → /usr/share/matplotlib/…), which a
    /// job would resolve against the host's /usr, not the template: such links become relative when their target
    /// is in the template.
    /// </summary>
    private static void RelinkIntoTemplate(string root)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var info = new FileInfo(path);
            if (info.LinkTarget is not { } target || !target.StartsWith('/'))
            {
                continue;
            }

            var inside = Path.Combine(root, target.TrimStart('/'));
            if (File.Exists(inside) || Directory.Exists(inside))
            {
                File.Delete(path);
                File.CreateSymbolicLink(path, Path.GetRelativePath(Path.GetDirectoryName(path)!, inside));
            }
        }
    }

    /// <summary>Directories holding shared libraries outside the Python tree (e.g. a BLAS the packages load), relative to the root.</summary>
    private static string[] LibraryDirectories(string root, IReadOnlyList<string> pythonPath) =>
        [.. new[] { "lib", "usr/lib" }
            .Select(d => Path.Combine(root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.so*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            .Where(f => SharedLibrary().IsMatch(Path.GetFileName(f)))
            .Select(f => Path.GetRelativePath(root, Path.GetDirectoryName(f)!))
            .Where(d => !pythonPath.Any(p => d == p || d.StartsWith(p + "/", StringComparison.Ordinal)) && !d.Contains("/python3", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];

    /// <summary>Name and version of every distribution (<c>*.dist-info/METADATA</c>, <c>*.egg-info</c>) in a Python directory.</summary>
    private static IEnumerable<EnvironmentPackage> Distributions(string directory)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            var metadata = entry.EndsWith(".dist-info", StringComparison.Ordinal) ? Path.Combine(entry, "METADATA")
                : entry.EndsWith(".egg-info", StringComparison.Ordinal) ? (Directory.Exists(entry) ? Path.Combine(entry, "PKG-INFO") : entry)
                : null;
            if (metadata is null || !File.Exists(metadata))
            {
                continue;
            }

            string? name = null, version = null;
            foreach (var line in File.ReadLines(metadata).TakeWhile(l => l.Length > 0))
            {
                name ??= line.StartsWith("Name: ", StringComparison.Ordinal) ? line[6..].Trim() : null;
                version ??= line.StartsWith("Version: ", StringComparison.Ordinal) ? line[9..].Trim() : null;
            }

            if (name is not null && version is not null)
            {
                yield return new EnvironmentPackage(name, version);
            }
        }
    }

    /// <summary>Imports every promised module in the sandbox, as a job would see the template; never on the host.</summary>
    private static async Task VerifyAsync(EnvironmentDefinition definition, EnvironmentDescriptor descriptor, string staging, string mountPath, TextWriter log)
    {
        if (definition.Imports.Count == 0)
        {
            return;
        }

        await log.WriteLineAsync($"checking in the sandbox that a job can import {string.Join(", ", definition.Imports)}").ConfigureAwait(false);
        var sandboxOptions = Options.Create(new LinuxSandboxOptions());
        using var sandbox = new LinuxSandbox(sandboxOptions, NullLogger<LinuxSandbox>.Instance);
        using var workspaces = new TmpfsWorkspaceProvider(sandbox, sandboxOptions);
        using var workspace = workspaces.Create("environment-check", 64L << 20);
        var environment = new Dictionary<string, string>(descriptor.VariablesAt(mountPath, new Dictionary<string, string>()), StringComparer.Ordinal);
        var limits = SandboxLimits.Default with { WallTimeout = TimeSpan.FromMinutes(3), CpuTime = TimeSpan.FromMinutes(3), MemoryBytes = 2L << 30, OutputBytesPerStream = 1 << 20 };
        var spec = new SandboxSpec(["python3", "-c", $"import {string.Join(", ", definition.Imports)}; print('ok')"], workspace.Path, limits)
        {
            Environment = environment,
            ReadOnlyMounts = [new ReadOnlyMount(staging, mountPath)],
        };
        var output = new CollectedOutput();
        var result = await sandbox.RunAsync(spec, output).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new EnvironmentBuildException(string.Create(CultureInfo.InvariantCulture,
                $"the built template fails its import check ({result.FailureReason}, exit {result.ExitCode}): {output.Tail}"));
        }
    }

    /// <summary>Replaces <paramref name="output"/> with the finished build (two renames in one directory).</summary>
    private static void Swap(string staging, string output)
    {
        string? old = null;
        if (Directory.Exists(output))
        {
            old = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.old-{Guid.NewGuid():n}");
            Directory.Move(output, old);
        }

        Directory.Move(staging, output);
        if (old is not null)
        {
            Directory.Delete(old, recursive: true);
        }
    }

    [GeneratedRegex(@"\.so(\.\d+)*$")]
    private static partial Regex SharedLibrary();

    private sealed class CollectedOutput : ISandboxOutputSink
    {
        private readonly StringBuilder text = new();

        public string Tail => text.Length > 2000 ? "…" + text.ToString()[^2000..] : text.ToString();

        public void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk) => text.Append(Encoding.UTF8.GetString(chunk));
    }
}
