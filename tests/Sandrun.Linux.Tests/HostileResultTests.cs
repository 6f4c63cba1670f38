using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>
/// The result is the host's, not the job's (SPEC §4): sandrun-init reports the payload's wait status, so a payload
/// that could write to pid 1 (its memory, its status fd) or kill it could forge the signed exit code.
/// </summary>
[Collection("sandbox")]
public sealed class HostileResultTests(SandboxFixture f)
{
    [Fact]
    public async Task A_payload_cannot_patch_init_through_proc_mem_and_its_real_exit_code_is_reported()
    {
        // The attack that worked: open /proc/1/mem read-write, find init's code in /proc/1/maps and overwrite it
        // so that it reports exit 0. Every way in must be closed, and the real exit code (7) must come out.
        var run = await f.PythonAsync(Hostile.Prelude + """
            out = []
            for path, mode in [('/proc/1/mem', os.O_RDWR), ('/proc/1/mem', os.O_RDONLY), ('/proc/1/maps', os.O_RDONLY),
                               ('/proc/1/fd/3', os.O_WRONLY), ('/proc/1/environ', os.O_RDONLY), ('/proc/1/root/.', os.O_RDONLY),
                               ('/proc/1/map_files', os.O_RDONLY), ('/proc/1/oom_score_adj', os.O_WRONLY)]:
                try:
                    os.close(os.open(path, mode))
                    out.append(path + '=OPENED')
                except OSError as e:
                    out.append(path + '=' + errno.errorcode[e.errno])
            print(' '.join(out))
            for sig in (9, 15, 19):
                try:
                    os.kill(1, sig)
                    print('kill', sig, 'OK')
                except OSError as e:
                    print('kill', sig, errno.errorcode[e.errno])
            sys.stdout.flush()
            sys.exit(7)
            """);

        Assert.Equal(FailureReason.ExitCode, run.Result.FailureReason);
        Assert.Equal(7, run.Result.ExitCode);
        Assert.DoesNotContain("OPENED", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(" OK", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("/proc/1/mem=EACCES", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_runs_under_another_uid_with_only_the_capabilities_to_start_the_payload()
    {
        // The payload's own empty capability sets are checked in HostileSyscallTests.
        var run = await f.ShAsync("grep -E '^(Uid|CapEff|CapPrm|CapBnd):' /proc/1/status | tr '\\t' ' '");
        Assert.Contains("Uid: 0 0 0 0", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapEff: 00000000000001c0", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapPrm: 00000000000001c0", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("CapBnd: 00000000000001c0", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_payload_killed_by_a_signal_is_reported_as_that_signal_even_after_it_tried_to_stop_init()
    {
        var run = await f.ShAsync("kill -STOP 1 2>/dev/null; kill -9 1 2>/dev/null; kill -SEGV $$");
        Assert.Equal(FailureReason.Signal, run.Result.FailureReason);
        Assert.Equal(11, run.Result.Signal);
    }

    [Theory]
    [InlineData("os.setuid(0)")]
    [InlineData("os.setresgid(0, 0, 0)")]
    [InlineData("w('/proc/self/uid_map', b'0 0 1')")]
    [InlineData("w('/proc/1/uid_map', b'0 0 4294967295')")]
    [InlineData("w('/proc/self/setgroups', b'allow')")]
    [InlineData("import resource; resource.prlimit(1, resource.RLIMIT_NOFILE, (0, 0))")]
    [InlineData("w('/proc/1/attr/current', b'x')")]
    public async Task The_payload_cannot_become_init_or_change_its_identity(string attempt)
    {
        const string Write = "def w(path, data):\n    fd = os.open(path, os.O_WRONLY)\n    os.write(fd, data)\n";
        var run = await f.PythonAsync($"import os\n{Write}try:\n    {attempt}\n    print('DONE')\nexcept (OSError, ValueError) as e:\n    print('refused')");
        Assert.Equal("refused\n", run.Stdout);
    }
}
