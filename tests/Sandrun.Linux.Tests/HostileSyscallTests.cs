using Sandrun.Abstractions;

namespace Sandrun.Linux.Tests;

/// <summary>Kernel attack surface: every dangerous syscall is refused inside the sandbox (seccomp + no privileges).</summary>
[Collection("sandbox")]
public sealed class HostileSyscallTests(SandboxFixture f)
{
    public static TheoryData<string, string, string> Denied => new()
    {
        { "mount", "b'none', b'/tmp', b'tmpfs', 0, 0", "EPERM" },
        { "umount2", "b'/proc', 2", "EPERM" },
        { "pivot_root", "b'/tmp', b'/tmp'", "EPERM" },
        { "chroot", "b'/tmp'", "EPERM" },
        { "unshare", "0x10000000", "EPERM" },
        { "unshare", "0x40000000", "EPERM" },
        { "setns", "0, 0", "EPERM" },
        { "clone", "0x10000000 | 17, 0, 0, 0, 0", "EPERM" },
        { "clone", "0x20000000 | 17, 0, 0, 0, 0", "EPERM" },
        { "clone3", "0, 88", "ENOSYS" },
        { "keyctl", "0, 0, 0, 0, 0", "EPERM" },
        { "add_key", "b'user', b'k', b'v', 1, -4", "EPERM" },
        { "request_key", "b'user', b'k', 0, 0", "EPERM" },
        { "io_uring_setup", "8, ctypes.create_string_buffer(120)", "EPERM" },
        { "io_uring_enter", "0, 0, 0, 0, 0, 0", "EPERM" },
        { "userfaultfd", "0", "EPERM" },
        { "perf_event_open", "ctypes.create_string_buffer(128), 0, -1, -1, 0", "EPERM" },
        { "bpf", "0, ctypes.create_string_buffer(128), 128", "EPERM" },
        { "ptrace", "0, 0, 0, 0", "EPERM" },
        { "ptrace", "16, 1, 0, 0", "EPERM" },
        { "process_vm_readv", "1, 0, 0, 0, 0, 0", "EPERM" },
        { "process_vm_writev", "1, 0, 0, 0, 0, 0", "EPERM" },
        { "io_setup", "128, ctypes.byref(ctypes.c_ulong(0))", "ENOSYS" },
        { "io_submit", "0, 1, ctypes.byref(ctypes.c_ulong(0))", "ENOSYS" },
        { "clock_settime", "0, ctypes.create_string_buffer(16)", "EPERM" },
        { "settimeofday", "ctypes.create_string_buffer(16), 0", "EPERM" },
        { "sethostname", "b'evil', 4", "EPERM" },
        { "reboot", "0xfee1dead, 672274793, 0x1234567, 0", "EPERM" },
        { "kexec_load", "0, 0, 0, 0", "EPERM" },
        { "init_module", "0, 0, b''", "EPERM" },
        { "finit_module", "0, b'', 0", "EPERM" },
        { "open_by_handle_at", "0, 0, 0", "EPERM" },
        { "fsopen", "b'tmpfs', 0", "EPERM" },
        { "open_tree", "-100, b'/', 1", "EPERM" },
        { "move_mount", "-1, b'', -1, b'', 0", "EPERM" },
        { "mount_setattr", "-100, b'/', 0, 0, 0", "EPERM" },
        { "open_tree_attr", "-100, b'/', 1, 0, 0", "EPERM" },
        { "lsm_set_self_attr", "100, ctypes.create_string_buffer(64), 64, 0", "EPERM" },
        { "swapon", "b'/tmp/x', 0", "EPERM" },
        { "acct", "b'/tmp/x'", "EPERM" },
        { "syslog", "3, 0, 0", "EPERM" },
        { "iopl", "3", "EPERM" },
        { "modify_ldt", "0, 0, 0", "EPERM" },
        { "kcmp", "1, 1, 0, 0, 0", "EPERM" },
        { "pidfd_getfd", "0, 0, 0", "EPERM" },
        { "personality", "0x0400000", "EPERM" },
        { "mknodat", "-100, b'/tmp/mem', 0o20666, (1 << 8) | 1", "EPERM" },
    };

    [Theory]
    [MemberData(nameof(Denied))]
    public async Task Dangerous_syscall_is_denied(string syscall, string args, string expected)
    {
        var run = await f.PythonAsync(Hostile.Syscall(syscall, args));
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Equal(expected, run.Stdout.Trim());
    }

    [Fact]
    public async Task Allowlisted_syscalls_newer_than_the_build_headers_reach_the_kernel()
    {
        // fchmodat2 (6.6) with AT_SYMLINK_NOFOLLOW on a file, futex_wake (6.7) with nobody waiting, and mseal (6.10):
        // a sealed mapping can no longer be unmapped, which proves the call really ran.
        var run = await f.PythonAsync(Hostile.Prelude + $"""
            open('/tmp/f', 'w').close()
            print(sc({Hostile.Nr("fchmodat2")}, -100, b'/tmp/f', 0o600, 0x100), oct(os.stat('/tmp/f').st_mode & 0o777))
            word = ctypes.c_uint32(0)
            print(sc({Hostile.Nr("futex_wake")}, ctypes.addressof(word), 0xffffffff, 1, 2))
            libc.mmap.restype = ctypes.c_void_p
            page = libc.mmap(None, 4096, 3, 0x22, -1, 0)
            print(sc({Hostile.Nr("mseal")}, page, 4096, 0), sc({Hostile.Nr("munmap")}, page, 4096))
            """);
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.Equal("OK 0o600\nOK\nOK EPERM", run.Stdout.Trim());
    }

    [Theory]
    [InlineData("0x5412", "TIOCSTI")]
    [InlineData("(0x123 << 32) | 0x5412", "TIOCSTI with high bits set")]
    [InlineData("(0xffffffff << 32) | 0x5412", "TIOCSTI with all high bits set")]
    [InlineData("0x541C", "TIOCLINUX")]
    [InlineData("(1 << 40) | 0x541C", "TIOCLINUX with high bits set")]
    public async Task Terminal_injection_ioctls_are_denied(string request, string what)
    {
        // stdin is not a tty: without the filter the kernel would answer ENOTTY, so EPERM proves the filter.
        var run = await f.PythonAsync(Hostile.Prelude + $"c = ctypes.c_char(b'x')\nprint(sc({Hostile.Nr("ioctl")}, 0, {request}, ctypes.byref(c)))\n");
        Assert.True("EPERM" == run.Stdout.Trim(), $"{what}: {run}");
    }

    [Fact]
    public async Task Harmless_ioctl_still_reaches_the_kernel()
    {
        var run = await f.PythonAsync(Hostile.Prelude + $"print(sc({Hostile.Nr("ioctl")}, 0, 0x5401, ctypes.create_string_buffer(64)))\n");
        Assert.Equal("ENOTTY", run.Stdout.Trim());
    }

    [Theory]
    [InlineData(40, "AF_VSOCK")]
    [InlineData(38, "AF_ALG")]
    [InlineData(17, "AF_PACKET")]
    [InlineData(16, "AF_NETLINK")]
    [InlineData(4, "AF_IPX")]
    public async Task Exotic_socket_families_are_refused(int family, string name)
    {
        var run = await f.PythonAsync(Hostile.Prelude + $"print(sc({Hostile.Nr("socket")}, {family}, 2, 0))\n");
        Assert.True("EAFNOSUPPORT" == run.Stdout.Trim(), $"{name}: {run}");
    }

    [Fact]
    public async Task Int80_i386_syscalls_kill_the_process()
    {
        // mov eax, 20 (getpid on i386); int 0x80; ret
        const string Int80 = "b814000000cd80c3";
        var run = await f.PythonAsync(Hostile.MachineCode(Int80));
        Assert.Equal(FailureReason.Signal, run.Result.FailureReason);
        Assert.DoesNotContain("returned", run.Stdout, StringComparison.Ordinal);

        // Where the host kernel runs i386 syscalls, the filter must kill with SIGSYS; a kernel without IA32 emulation
        // (ia32_emulation=0, some VMs) faults int 0x80 with SIGSEGV before any filter sees it, sandboxed or not.
        var unsandboxed = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", ["-c", Hostile.MachineCode(Int80)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var hostOutput = await unsandboxed.StandardOutput.ReadToEndAsync();
        await unsandboxed.WaitForExitAsync();
        var hostRunsI386 = hostOutput.Contains("returned", StringComparison.Ordinal);
        Assert.True(hostRunsI386 || unsandboxed.ExitCode == 128 + 11 || unsandboxed.ExitCode == -11, $"unexpected host behaviour: exit {unsandboxed.ExitCode}, {hostOutput}");
        Assert.Equal(hostRunsI386 ? 31 : 11, run.Result.Signal);
    }

    [Fact]
    public async Task X32_syscalls_kill_the_process()
    {
        // mov eax, 0x40000027 (x32 getpid); syscall; ret
        var run = await f.PythonAsync(Hostile.MachineCode("b8270000400f05c3"));
        Assert.Equal(FailureReason.Signal, run.Result.FailureReason);
        Assert.Equal(31, run.Result.Signal);
    }

    [Fact]
    public async Task Native_syscall_through_machine_code_still_works()
    {
        // mov eax, 39 (getpid); syscall; ret  — control for the two tests above
        var run = await f.PythonAsync(Hostile.MachineCode("b8270000000f05c3"));
        Assert.True(run.Result.Succeeded, run.ToString());
        Assert.StartsWith("returned ", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_runs_without_capabilities_under_a_seccomp_filter_with_no_new_privs()
    {
        var run = await f.ShAsync("grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status; id -u; id -g");
        Assert.True(run.Result.Succeeded, run.ToString());
        foreach (var cap in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            Assert.Contains($"{cap}:\t0000000000000000", run.Stdout, StringComparison.Ordinal);
        }

        Assert.Contains("NoNewPrivs:\t1", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Seccomp:\t2", run.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("65534\n65534\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Setuid_binaries_gain_nothing()
    {
        var run = await f.ShAsync("ls -l /usr/bin/mount /usr/bin/passwd; /usr/bin/mount -t tmpfs none /tmp; echo mount=$?; /usr/bin/chfn -f x sandbox </dev/null; echo chfn=$?; id -u");
        Assert.Contains("-rwsr-xr-x", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("mount=32", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("chfn=0", run.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("65534\n", run.Stdout, StringComparison.Ordinal);
    }
}
