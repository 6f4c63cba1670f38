using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

[Collection("sandbox")]
public sealed class LanguageTests(SandboxFixture f)
{
    public static TheoryData<string, string, string> Programs => new()
    {
        { "python3", "main.py", "import sys\nprint('hello from python3')\nprint('err', file=sys.stderr)\nsys.exit(3)\n" },
        { "node", "index.js", "console.log('hello from node'); console.error('err'); process.exit(3);\n" },
        { "bash", "run.sh", "echo hello from bash; echo err >&2; exit 3\n" },
        { "sh", "run.sh", "echo hello from sh; echo err >&2; exit 3\n" },
        { "perl", "main.pl", "print \"hello from perl\\n\"; print STDERR \"err\\n\"; exit 3;\n" },
        { "ruby", "main.rb", "puts 'hello from ruby'; $stderr.puts 'err'; exit 3\n" },
        { "Rscript", "main.R", "cat('hello from Rscript\\n'); message('err'); quit(status = 3)\n" },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public async Task Interpreter_runs_a_program_from_the_workspace(string interpreter, string file, string code)
    {
        var run = await f.RunAsync([interpreter, file], new Dictionary<string, string> { [file] = code });
        Assert.Equal(FailureReason.ExitCode, run.Result.FailureReason);
        Assert.Equal(3, run.Result.ExitCode);
        Assert.Equal($"hello from {interpreter}\n", run.Stdout);
        Assert.Equal("err\n", run.Stderr);
    }

    [Theory]
    [InlineData("python3", "main.py", "print('ok')")]
    [InlineData("node", "index.js", "console.log('ok')")]
    [InlineData("ruby", "main.rb", "puts 'ok'")]
    [InlineData("Rscript", "main.R", "cat('ok\\n')")]
    [InlineData("perl", "main.pl", "print \"ok\\n\"")]
    public async Task Successful_program_is_completed_with_measurements(string interpreter, string file, string code)
    {
        var run = await f.RunAsync([interpreter, file], new Dictionary<string, string> { [file] = code });
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Equal(0, run.Result.ExitCode);
        Assert.Equal("ok\n", run.Stdout);
        Assert.True(run.Result.CpuTime > TimeSpan.Zero, "cgroup CPU accounting is per job");
        Assert.True(run.Result.MemoryPeakBytes > 100_000, "cgroup memory accounting is per job");
        Assert.True(run.Result.WallTime > TimeSpan.Zero);
    }

    [Fact]
    public async Task Stdin_args_and_environment_reach_the_program()
    {
        var run = await f.RunAsync(["python3", "-c", "import sys,os; print(sys.argv[1:], os.environ['GREETING'], sys.stdin.read())", "a b", "$(id)"],
            stdin: "from stdin", env: new Dictionary<string, string> { ["GREETING"] = "hi" });
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Equal("['a b', '$(id)'] hi from stdin\n", run.Stdout);
    }

    [Fact]
    public async Task Missing_program_is_a_setup_error_not_an_exception()
    {
        var run = await f.RunAsync(["no-such-interpreter"]);
        Assert.Equal(FailureReason.SetupError, run.Result.FailureReason);
        Assert.Contains("no-such-interpreter", run.Result.Detail, StringComparison.Ordinal);

        var direct = await f.RunAsync(["/workspace/missing.sh"]);
        Assert.Equal(FailureReason.SetupError, direct.Result.FailureReason);
        Assert.Contains("ENOENT", direct.Result.Detail, StringComparison.Ordinal);
    }
}
