using System.Diagnostics;

namespace Sandrun.Server.EnvironmentTemplates;

/// <summary>Runs the host tools a template build uses (apt-get, dpkg-deb, python3) without a shell.</summary>
internal static class ToolProcess
{
    /// <summary>Runs <paramref name="program"/> and returns its standard output; a failure names the command and shows the end of its errors.</summary>
    public static async Task<string> RunAsync(string program, IEnumerable<string> args, string? workingDirectory = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["LC_ALL"] = "C";
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new EnvironmentBuildException($"{program} cannot be started ({e.Message}); is it installed?");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var errors = await stderr.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var tail = errors.Length > 2000 ? "…" + errors[^2000..] : errors;
                throw new EnvironmentBuildException($"{program} {string.Join(' ', info.ArgumentList.Take(4))}… exited {process.ExitCode}: {tail.Trim()}");
            }

            return await stdout.ConfigureAwait(false);
        }
    }
}

/// <summary>A template build failed; the message says which step and why.</summary>
internal sealed class EnvironmentBuildException(string message) : Exception(message);
