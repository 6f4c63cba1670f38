using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Linux;
using Sandrun.Linux.Workspace;

namespace Sandrun.Server;

/// <summary>
/// <c>exec [options] -- PROGRAM [ARGS...]</c>: runs one command in the sandbox, like bwrap or nsjail. Output is
/// passed through, the exit code propagated (128+N for a signal; 124 for timeouts and other limits).
/// </summary>
internal static class ExecCommand
{
    public const string Usage = """
        usage: Sandrun.Server exec [--memory-mb N] [--timeout S] [--cpu-seconds S] [--pids N] [--output-bytes N]
                                   [--workspace DIR] [--env NAME=VALUE]... -- PROGRAM [ARGS...]
          Runs PROGRAM in the sandbox. The workspace (default: a fresh 100 MiB tmpfs, removed afterwards) is
          mounted at /workspace, the working directory. stdin is not forwarded.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var limits = SandboxLimits.Default;
        string? workspace = null;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        for (; i < args.Length && args[i] != "--"; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--memory-mb": limits = limits with { MemoryBytes = Number(args[i], value) << 20 }; i++; break;
                case "--timeout": limits = limits with { WallTimeout = TimeSpan.FromSeconds(Number(args[i], value)) }; i++; break;
                case "--cpu-seconds": limits = limits with { CpuTime = TimeSpan.FromSeconds(Number(args[i], value)) }; i++; break;
                case "--pids": limits = limits with { MaxProcesses = (int)Number(args[i], value) }; i++; break;
                case "--output-bytes": limits = limits with { OutputBytesPerStream = Number(args[i], value) }; i++; break;
                case "--workspace": workspace = value ?? throw new UsageException("--workspace needs a directory"); i++; break;
                case "--env":
                    var eq = value?.IndexOf('=', StringComparison.Ordinal) ?? -1;
                    if (eq <= 0)
                    {
                        throw new UsageException("--env needs NAME=VALUE");
                    }

                    env[value![..eq]] = value[(eq + 1)..];
                    i++;
                    break;
                default: throw new UsageException($"unknown exec option '{args[i]}'");
            }
        }

        var argv = args.Skip(i + 1).ToArray();
        if (i >= args.Length || argv.Length == 0)
        {
            throw new UsageException("exec needs '--' followed by the program to run");
        }

        var sandboxOptions = Options.Create(new LinuxSandboxOptions());
        using var sandbox = new LinuxSandbox(sandboxOptions, NullLogger<LinuxSandbox>.Instance);

        // The provider also unmounts workspaces left by an exec or server process that was killed.
        using var workspaces = new TmpfsWorkspaceProvider(sandbox, sandboxOptions);
        using var temporary = workspace is null ? workspaces.Create("exec", 100L << 20) : null;
        var spec = new SandboxSpec(argv, Path.GetFullPath(workspace ?? temporary!.Path), limits) { Environment = env };
        using var sink = new PassThroughSink();
        var result = await sandbox.RunAsync(spec, sink).ConfigureAwait(false);
        sink.Flush();
        if (!result.Succeeded && result.FailureReason != FailureReason.ExitCode)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"sandrun: {result.FailureReason}{(result.Signal is { } s ? $" (signal {s})" : "")}{(result.Detail is { } d ? ": " + d : "")}")).ConfigureAwait(false);
        }

        return result.FailureReason switch
        {
            FailureReason.None or FailureReason.ExitCode => result.ExitCode ?? 1,
            FailureReason.Signal => 128 + (result.Signal ?? 0),
            FailureReason.SetupError => 127,
            _ => 124,
        };
    }

    private static long Number(string option, string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new UsageException($"{option} needs a positive whole number");

    /// <summary>Writes the job's raw bytes to our stdout/stderr as they arrive.</summary>
    private sealed class PassThroughSink : ISandboxOutputSink, IDisposable
    {
        private readonly Stream stdout = Console.OpenStandardOutput();
        private readonly Stream stderr = Console.OpenStandardError();

        public void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk)
        {
            var target = stream == SandboxStream.Stdout ? stdout : stderr;
            target.Write(chunk);
            target.Flush();
        }

        public void Flush()
        {
            stdout.Flush();
            stderr.Flush();
        }

        public void Dispose()
        {
            stdout.Dispose();
            stderr.Dispose();
        }
    }
}
