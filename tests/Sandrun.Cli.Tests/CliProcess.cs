using System.Diagnostics;
using System.Text;

namespace Sandrun.Cli.Tests;

/// <summary>The real <c>sandrun</c> tool as a child process (<c>dotnet Sandrun.Cli.dll</c> from the test's output).</summary>
public sealed class CliProcess : IDisposable
{
    private static readonly string Tool = Path.Combine(AppContext.BaseDirectory, "Sandrun.Cli.dll");

    private readonly Process process;

    private readonly StringBuilder stderr = new();

    private CliProcess(Process process) => this.process = process;

    /// <summary>Standard output, line by line as the tool writes it.</summary>
    public StreamReader Stdout => process.StandardOutput;

    /// <summary>Starts the tool with <paramref name="args"/>; <c>SANDRUN_SERVER</c> is unset unless given.</summary>
    public static CliProcess Start(IEnumerable<string> args, string? server = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Tool);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("SANDRUN_SERVER");
        if (server is not null)
        {
            info.Environment["SANDRUN_SERVER"] = server;
        }

        var cli = new CliProcess(Process.Start(info)!);
        cli.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (cli.stderr)
                {
                    cli.stderr.AppendLine(e.Data);
                }
            }
        };
        cli.process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs the tool to its end (killed after a minute); feeds <paramref name="stdin"/> if given.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, string? server = null, string? stdin = null, string? workingDirectory = null)
    {
        using var cli = Start(args, server, workingDirectory);
        if (stdin is not null)
        {
            await cli.process.StandardInput.WriteAsync(stdin);
        }

        cli.process.StandardInput.Close();
        var stdout = await cli.Stdout.ReadToEndAsync();
        var exit = await cli.WaitAsync();
        return (exit, stdout, cli.Stderr);
    }

    /// <summary>Runs another program to its end; returns its exit code and standard output.</summary>
    public static async Task<(int Exit, string Stdout)> RunCommandAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stdout);
    }

    /// <summary>What the tool wrote to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    /// <summary>Waits (at most a minute) for the tool to exit; returns its exit code.</summary>
    public async Task<int> WaitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sandrun did not exit within a minute; stderr: {Stderr}");
        }

        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
