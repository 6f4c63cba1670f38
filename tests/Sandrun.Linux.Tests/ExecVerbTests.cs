using System.Diagnostics;

namespace Sandrun.Linux.Tests;

/// <summary>The operator's <c>exec</c> verb: output passed through, exit status propagated, limits applied.</summary>
[Collection("sandbox")]
public sealed class ExecVerbTests
{
    [Fact]
    public async Task Exec_passes_output_through_and_propagates_the_exit_code()
    {
        var (code, stdout, stderr) = await Exec("--memory-mb", "256", "--timeout", "5", "--", "python3", "-c", "import sys; print(1); print('e', file=sys.stderr); sys.exit(3)");
        Assert.Equal(3, code);
        Assert.Equal("1\n", stdout);
        Assert.Equal("e\n", stderr);
    }

    [Fact]
    public async Task Exec_reports_limits_with_exit_code_124_and_signals_as_128_plus_n()
    {
        var (timeout, _, timeoutErr) = await Exec("--timeout", "1", "--", "sleep", "10");
        Assert.Equal(124, timeout);
        Assert.Contains("Timeout", timeoutErr, StringComparison.Ordinal);

        var (signal, _, _) = await Exec("--", "sh", "-c", "kill -TERM $$");
        Assert.Equal(128 + 15, signal);

        var (memory, _, memoryErr) = await Exec("--memory-mb", "32", "--", "python3", "-c", "x = b'x' * (1 << 29)");
        Assert.Equal(124, memory);
        Assert.Contains("MemoryLimit", memoryErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_rejects_bad_usage_with_exit_code_2()
    {
        var (code, _, stderr) = await Exec("--memory-mb", "lots", "--", "true");
        Assert.Equal(2, code);
        Assert.Contains("--memory-mb needs a positive whole number", stderr, StringComparison.Ordinal);
        var (missing, _, _) = await Exec("--timeout", "1");
        Assert.Equal(2, missing);
    }

    internal static async Task<(int Code, string Stdout, string Stderr)> Exec(params string[] args)
    {
        var server = Path.Combine(AppContext.BaseDirectory, "Sandrun.Server.dll");
        var psi = new ProcessStartInfo("dotnet", ["exec", server, "exec", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await stdout, await stderr);
    }
}
