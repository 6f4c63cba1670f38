using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sandrun.Jobs;

namespace Sandrun.Runtimes;

/// <summary>
/// The versions of the interpreters jobs run, probed once when the host starts (each interpreter's <c>--version</c>,
/// in parallel, on the host whose <c>/usr</c> the sandbox binds read-only). An interpreter without a version option
/// (dash as <c>sh</c>) is asked of the package manager that installed it; one that answers neither has version
/// <see cref="Unknown"/>.
/// </summary>
public sealed partial class RuntimeVersions : IHostedService
{
    /// <summary>The version reported for an interpreter whose version could not be found out.</summary>
    public const string Unknown = "unknown";

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(15);

    private readonly IServiceProvider services;
    private readonly ILogger<RuntimeVersions> logger;
    private readonly Lazy<Task<IReadOnlyDictionary<string, string>>> probe;

    /// <summary>
    /// Creates the prober; nothing runs until <see cref="StartAsync"/> or the first <see cref="GetAsync"/>. The engine's
    /// environment is looked up then, not here, so that building the hosted services does not build the sandbox ahead
    /// of the host's validation of every option.
    /// </summary>
    public RuntimeVersions(IServiceProvider services, ILogger<RuntimeVersions> logger)
    {
        this.services = services;
        this.logger = logger;
        probe = new(ProbeAllAsync);
    }

    /// <summary>Interpreter name → version (e.g. <c>python3</c> → <c>3.11.2</c>) for every installed interpreter.</summary>
    public Task<IReadOnlyDictionary<string, string>> GetAsync() => probe.Value;

    /// <summary>Starts probing in the background; the host does not wait for it.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = probe.Value;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The first dotted version number in an interpreter's banner: <c>Python 3.11.2</c> → <c>3.11.2</c>, <c>v20.19.2</c> → <c>20.19.2</c>.</summary>
    public static string? Parse(string banner)
    {
        ArgumentNullException.ThrowIfNull(banner);
        var match = VersionNumber().Match(banner);
        return match.Success ? match.Value : null;
    }

    private async Task<IReadOnlyDictionary<string, string>> ProbeAllAsync()
    {
        var interpreters = services.GetRequiredService<EngineEnvironment>().Interpreters;
        var versions = await Task.WhenAll(interpreters.Select(ProbeAsync)).ConfigureAwait(false);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < interpreters.Count; i++)
        {
            result[interpreters[i]] = versions[i];
        }

        LogProbed(logger, string.Join(", ", result.Select(kv => $"{kv.Key} {kv.Value}")));
        return result;
    }

    private async Task<string> ProbeAsync(string interpreter)
    {
        var path = FindInPath(interpreter);
        if (path is null)
        {
            return Unknown;
        }

        if (Parse((await RunAsync(path, "--version").ConfigureAwait(false)).Output) is { } version)
        {
            return version;
        }

        // dash has no --version: ask dpkg which package holds the program (under /usr or, as dpkg may have recorded it
        // before the /usr merge, under /) and that package's version.
        var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        string[] candidates = real.StartsWith("/usr/", StringComparison.Ordinal) ? [real, real[4..]] : [real];
        foreach (var candidate in candidates)
        {
            var (exit, answer) = await RunAsync("dpkg-query", "-S", candidate).ConfigureAwait(false);
            var owner = answer.Split(':', 2)[0].Trim();
            if (exit == 0 && owner.Length > 0 && !owner.Contains(' ', StringComparison.Ordinal))
            {
                return Parse((await RunAsync("dpkg-query", "-W", "-f=${Version}", owner).ConfigureAwait(false)).Output) ?? Unknown;
            }
        }

        return Unknown;
    }

    /// <summary>Runs a program with no input: its exit code and stdout then stderr; -1 and empty when it cannot run or takes too long.</summary>
    private async Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return (-1, string.Empty);
            }

            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(ProbeTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                LogSlow(logger, program);
                return (-1, string.Empty);
            }

            return (process.ExitCode, new StringBuilder(await stdout.ConfigureAwait(false)).Append('\n').Append(await stderr.ConfigureAwait(false)).ToString());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (-1, string.Empty);
        }
    }

    private static string? FindInPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"\d+\.\d+(?:\.\d+)?")]
    private static partial Regex VersionNumber();

    [LoggerMessage(Level = LogLevel.Information, Message = "Interpreter versions: {Versions}")]
    private static partial void LogProbed(ILogger logger, string versions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Program} did not report its version within 15 s; it is listed as unknown")]
    private static partial void LogSlow(ILogger logger, string program);
}
