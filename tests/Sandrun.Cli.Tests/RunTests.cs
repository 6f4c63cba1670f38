using System.Security.Cryptography;
using System.Text.Json;

namespace Sandrun.Cli.Tests;

/// <summary><c>sandrun run</c> against a real server: exit codes, live streaming, files and folders, errors.</summary>
public sealed class RunTests(CliServer server) : IClassFixture<CliServer>, IDisposable
{
    private readonly string work = Directory.CreateTempSubdirectory("sandrun-cli-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Theory]
    [InlineData("import sys\nsys.exit(0)\n", 0)]
    [InlineData("import sys\nsys.exit(3)\n", 3)]
    [InlineData("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", 128 + 11)]
    [InlineData("import time\nwhile True: time.sleep(0.05)\n", 124)]
    [InlineData("while True: pass\n", 124)]
    public async Task Exits_as_the_job_did(string program, int expected)
    {
        var file = Write("job.py", program);
        var (exit, _, stderr) = await CliProcess.RunAsync(["run", "--server", server.Url, file, "--timeout", "2"]);
        Assert.True(expected == exit, stderr);
        Assert.Matches(@"^sandrun: job-[a-z0-9]+ (completed|failed)", stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last());
    }

    [Fact]
    public async Task Each_stream_goes_to_its_own_and_args_pass_unchanged()
    {
        var file = Write("echo.py", "import sys\nprint('out', sys.argv[1:])\nprint('err', file=sys.stderr)\n");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["run", file, "--", "a b", "--not-an-option", "-f"], server: server.Url);
        Assert.Equal(0, exit);
        Assert.Equal("out ['a b', '--not-an-option', '-f']\n", stdout);
        Assert.StartsWith("err\n", stderr, StringComparison.Ordinal);
        Assert.Contains("completed · exit 0 · cpu ", stderr, StringComparison.Ordinal);
        Assert.Contains(" memory ", stderr, StringComparison.Ordinal);
        Assert.Contains(" wall ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_arrives_while_the_job_is_still_running_and_in_order()
    {
        var file = Write("slow.py", "import time\nprint('first', flush=True)\ntime.sleep(3)\nprint('second', flush=True)\n");
        using var cli = CliProcess.Start(["run", file], server: server.Url);
        Assert.Equal("first", await cli.Stdout.ReadLineAsync());

        // The first line is on our screen while the job is still active: the CLI streams, it does not wait and print.
        var stats = JsonDocument.Parse(await server.Http.GetStringAsync("/stats")).RootElement;
        Assert.Equal(1, stats.GetProperty("system").GetProperty("active_jobs").GetInt32());
        Assert.Equal("second", await cli.Stdout.ReadLineAsync());
        Assert.Equal(0, await cli.WaitAsync());
    }

    [Fact]
    public async Task A_folder_with_a_binary_file_and_its_job_json_round_trips_byte_for_byte()
    {
        var folder = Directory.CreateDirectory(Path.Combine(work, "project")).FullName;
        var data = RandomNumberGenerator.GetBytes(100_000);
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllBytes(Path.Combine(folder, "sub", "data.bin"), data);
        File.WriteAllText(Path.Combine(folder, "tool.py"), "import sys, shutil\nshutil.copy('sub/data.bin', 'out/copy.bin')\nprint(sys.argv[1])\n");
        Directory.CreateDirectory(Path.Combine(folder, "out"));
        File.WriteAllText(Path.Combine(folder, "job.json"), """{"entrypoint": "tool.py", "args": ["from-job-json"], "outputs": ["out/"]}""");
        File.CreateSymbolicLink(Path.Combine(folder, "escape"), "/etc/passwd");

        var (exit, stdout, stderr) = await CliProcess.RunAsync(["run", "--json", folder], server: server.Url);
        Assert.True(exit == 0, stderr);
        var result = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("from-job-json\n", result.GetProperty("stdout").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), result.GetProperty("output_files").GetProperty("out/copy.bin").GetProperty("sha256_hash").GetString());
        Assert.Contains("not uploaded", stderr, StringComparison.Ordinal);
        Assert.Contains("escape", stderr, StringComparison.Ordinal);

        var jobId = result.GetProperty("job_id").GetString()!;
        var target = Path.Combine(work, "download");
        var download = await CliProcess.RunAsync(["download", jobId, "-o", target], server: server.Url);
        Assert.True(download.Exit == 0, download.Stderr);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(target, "out", "copy.bin")));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await server.Http.GetAsync($"/status/{jobId}")).StatusCode);
    }

    [Fact]
    public async Task Stdin_comes_from_a_file_or_from_the_tools_own_input()
    {
        var file = Write("cat.py", "import sys\ndata = sys.stdin.read()\nprint(len(data), data.upper(), end='')\n");
        var input = Write("input.txt", "from a file\nline two ü\n");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["run", file, "--stdin", input], server: server.Url);
        Assert.True(exit == 0, stderr);
        Assert.Equal("23 FROM A FILE\nLINE TWO Ü\n", stdout);

        var piped = await CliProcess.RunAsync(["run", file, "--stdin", "-"], server: server.Url, stdin: "piped in");
        Assert.True(piped.Exit == 0, piped.Stderr);
        Assert.Equal("8 PIPED IN", piped.Stdout);

        File.WriteAllBytes(Path.Combine(work, "big.txt"), new byte[(1024 * 1024) + 1]);
        var big = await CliProcess.RunAsync(["run", file, "--stdin", Path.Combine(work, "big.txt")], server: server.Url);
        Assert.Equal(2, big.Exit);
        Assert.Contains("at most 1 MiB", big.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_line_fields_override_job_json_and_bad_ones_are_named()
    {
        var file = Write("mem.py", "print('x')\n");
        var (exit, _, stderr) = await CliProcess.RunAsync(["run", file, "--memory-mb", "8"], server: server.Url);
        Assert.Equal(2, exit);
        Assert.Contains("400", stderr, StringComparison.Ordinal);
        Assert.Contains("memory_mb", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a url", "is not an http:// or https:// URL")]
    [InlineData("ftp://127.0.0.1/", "is not an http:// or https:// URL")]
    [InlineData("http://127.0.0.1:1", "cannot reach the server at http://127.0.0.1:1/")]
    public async Task A_bad_server_is_a_clear_error_and_exit_2(string url, string message)
    {
        var file = Write("a.py", "print(1)\n");
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["run", "--server", url, file]);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SANDRUN_SERVER_names_the_server_and_usage_errors_exit_2()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync(["run", Write("b.py", "print(2)\n")], server: server.Url);
        Assert.True(exit == 0, stderr);

        var missing = await CliProcess.RunAsync(["run", Path.Combine(work, "absent.py")], server: server.Url);
        Assert.Equal(2, missing.Exit);
        Assert.Contains("is neither a file nor a directory", missing.Stderr, StringComparison.Ordinal);

        var usage = await CliProcess.RunAsync(["run"], server: server.Url);
        Assert.Equal(2, usage.Exit);
        Assert.Contains("sandrun --help", usage.Stderr, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(work, name);
        File.WriteAllText(path, content);
        return path;
    }
}
