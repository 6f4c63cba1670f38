using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;
using Sandrun.Linux.Native;

namespace Sandrun.Linux.Tests;

/// <summary>
/// The host leaks nothing identifying through the sandbox (SPEC §4): mountinfo names no host path, server pid or
/// block device, and /proc's host-wide files are masked the way container runtimes mask them.
/// </summary>
[Collection("sandbox")]
public sealed partial class HostLeakTests(SandboxFixture f)
{
    private static readonly string[] HostWideFiles =
        ["cmdline", "diskstats", "partitions", "swaps", "keys", "key-users", "kcore", "timer_list", "timer_stats", "sched_debug", "latency_stats", "interrupts"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Mountinfo_names_no_host_path_server_pid_or_block_device(bool network)
    {
        var template = Directory.CreateTempSubdirectory("sandrun-template-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(template, "marker"), "from the template");
            File.SetUnixFileMode(template, (UnixFileMode)0x1ed);
            File.SetUnixFileMode(Path.Combine(template, "marker"), (UnixFileMode)0x1a4);
            using var ws = f.NewWorkspace();
            var run = await RunAsync(ws, "cat /proc/self/mountinfo /proc/self/mounts; cat /opt/template/marker; echo; cat /etc/resolv.conf", network, template);
            Assert.True(run.Result.Succeeded, run.ToString());

            var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            Assert.Contains("from the template", run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("/run/sandrun", run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(ws.Path, run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(template, run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.GetFileName(template), run.Stdout, StringComparison.Ordinal);
            Assert.DoesNotMatch($"[-/]{pid}[-/]", run.Stdout);
            Assert.DoesNotMatch(BlockDevice(), run.Stdout);
            Assert.DoesNotMatch(HostFilesystem(), run.Stdout);
            // No step resolves names itself (an install step's proxy does): resolv.conf is empty for both.
            Assert.EndsWith("from the template\n", run.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(template, true);
        }
    }

    [Fact]
    public async Task Read_only_directories_show_each_job_their_current_contents()
    {
        // A long-lived overlay would keep serving the replaced file and hide the new one.
        var template = Directory.CreateTempSubdirectory("sandrun-template-").FullName;
        try
        {
            File.SetUnixFileMode(template, (UnixFileMode)0x1ed);
            await File.WriteAllTextAsync(Path.Combine(template, "version"), "1");
            File.SetUnixFileMode(Path.Combine(template, "version"), (UnixFileMode)0x1a4);
            using var ws = f.NewWorkspace();
            var first = await RunAsync(ws, "cat /opt/template/version; test -e /opt/template/later && echo LATER; echo", false, template);
            await File.WriteAllTextAsync(Path.Combine(template, "version.new"), "2");
            File.SetUnixFileMode(Path.Combine(template, "version.new"), (UnixFileMode)0x1a4);
            File.Move(Path.Combine(template, "version.new"), Path.Combine(template, "version"), overwrite: true);
            await File.WriteAllTextAsync(Path.Combine(template, "later"), "new file");
            File.SetUnixFileMode(Path.Combine(template, "later"), (UnixFileMode)0x1a4);
            var second = await RunAsync(ws, "cat /opt/template/version; echo; cat /opt/template/later", false, template);
            Assert.Equal("1\n", first.Stdout);
            Assert.Equal("2\nnew file", second.Stdout);
        }
        finally
        {
            Directory.Delete(template, true);
        }
    }

    [Fact]
    public async Task Host_wide_proc_files_are_empty_and_boot_id_is_not_the_hosts()
    {
        var files = string.Join(' ', HostWideFiles.Select(n => "/proc/" + n));
        var run = await f.ShAsync($"for p in {files}; do test -e $p && {{ cat $p 2>/dev/null | wc -c | sed \"s|^|$p |\"; }}; done; for d in /proc/acpi /proc/scsi /proc/asound; do test -d $d && ls -A $d; done; cat /proc/sys/kernel/random/boot_id");
        var again = await f.ShAsync("cat /proc/sys/kernel/random/boot_id");
        Assert.True(run.Result.Succeeded, run.ToString());

        var lines = run.Stdout.TrimEnd('\n').Split('\n');
        var present = HostWideFiles.Where(n => File.Exists("/proc/" + n)).Select(n => $"/proc/{n} 0").ToArray();
        Assert.NotEmpty(present);
        Assert.Equal([.. present, lines[^1]], lines);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", lines[^1]);
        Assert.NotEqual((await File.ReadAllTextAsync("/proc/sys/kernel/random/boot_id")).Trim(), lines[^1]);
        Assert.Equal(lines[^1] + "\n", again.Stdout);
    }

    [Fact]
    public async Task Meminfo_shows_the_jobs_memory_limit_to_node_and_python()
    {
        var limits = SandboxFixture.Limits with { MemoryBytes = 300L << 20 };
        var node = await f.RunAsync(["node", "-e", "const os = require('os'); console.log(os.totalmem(), os.freemem() > 0)"], limits: limits);
        var python = await f.RunAsync(["python3", "-c", "print(dict(l.split(':') for l in open('/proc/meminfo'))['MemTotal'].split()[0])"], limits: limits);
        Assert.Equal((300L << 20).ToString(CultureInfo.InvariantCulture) + " true\n", node.Stdout);
        Assert.Equal((300L << 10).ToString(CultureInfo.InvariantCulture) + "\n", python.Stdout);
    }

    [Fact]
    public async Task Masks_cannot_be_unmounted_remounted_or_written()
    {
        var run = await f.PythonAsync(Hostile.Prelude + $$"""
            for path in ('/proc/cmdline', '/proc/meminfo', '/proc/sys/kernel/random/boot_id', '/proc/acpi'):
                print(path, sc({{Hostile.Nr("umount2")}}, path.encode(), 2), sc({{Hostile.Nr("mount")}}, None, path.encode(), None, 0x20 | 0x1000, None), end=' ')
                try:
                    open(path, 'w').write('x'); print('WROTE')
                except OSError as e:
                    print(errno.errorcode[e.errno])
            print(len(open('/proc/cmdline').read()))
            """);
        Assert.Equal(
            "/proc/cmdline EPERM EPERM EROFS\n/proc/meminfo EPERM EPERM EROFS\n/proc/sys/kernel/random/boot_id EPERM EPERM EROFS\n/proc/acpi EPERM EPERM EISDIR\n0\n",
            run.Stdout);
    }

    [Theory]
    [InlineData("/proc/sysrq-trigger")]
    [InlineData("/proc/sys/kernel/shmmax")]
    [InlineData("/proc/sys/kernel/domainname")]
    [InlineData("/proc/sys/net/ipv4/ip_forward")]
    [InlineData("/proc/sys/vm/drop_caches")]
    [InlineData("/proc/irq/default_smp_affinity")]
    public async Task Paths_runtimes_bind_read_only_are_not_writable_without_a_bind(string path)
    {
        // runc binds /proc/sys, sysrq-trigger, irq, bus and fs read-only for root in the container; the job is
        // no one's root here (uid 65534, no capabilities), so the kernel's ownership checks already refuse.
        var run = await f.PythonAsync($$"""
            import errno
            try:
                open('{{path}}', 'w').write('1\n'); print('WROTE')
            except OSError as e:
                print(errno.errorcode[e.errno])
            """);
        Assert.Matches(File.Exists(path) ? "^(EACCES|EPERM|EROFS)\n$" : "^ENOENT\n$", run.Stdout);
    }

    [Fact]
    public async Task Runtime_views_are_shared_for_their_lifetime_then_replaced_so_jobs_see_the_host_runtime_as_it_is_now()
    {
        // The runtime's overlay views are staged once and shared (warm dentries); overlayfs does not follow changes
        // to its lower layer, so a generation must be replaced, and retired generations unmounted.
        var state = Path.Combine("/run", "sandrun-views-" + Guid.NewGuid().ToString("n")[..8]);
        // Not under /tmp, which the sandbox mounts its own tmpfs on.
        var runtimeDir = Directory.CreateDirectory(Path.Combine("/opt", "sandrun-runtime-" + Guid.NewGuid().ToString("n")[..8])).FullName;
        try
        {
            File.SetUnixFileMode(runtimeDir, (UnixFileMode)0x1ed);
            await File.WriteAllTextAsync(Path.Combine(runtimeDir, "version"), "1");
            File.SetUnixFileMode(Path.Combine(runtimeDir, "version"), (UnixFileMode)0x1a4);
            var options = new LinuxSandboxOptions
            {
                StateDirectory = state,
                CgroupName = "sandrun-viewtest",
                RuntimePaths = [.. new LinuxSandboxOptions().RuntimePaths, runtimeDir],
                RuntimeViewLifetime = TimeSpan.FromMilliseconds(300),
            };
            using (var sandbox = new LinuxSandbox(options, NullLogger.Instance, null))
            {
                var script = $"cat {runtimeDir}/version; echo; cat {runtimeDir}/later 2>/dev/null; grep -c ' {runtimeDir} ' /proc/self/mountinfo";
                var first = await f.RunAsync(["/bin/sh", "-c", script], sandbox: sandbox);
                Assert.Equal("1\n1\n", first.Stdout);

                await File.WriteAllTextAsync(Path.Combine(runtimeDir, "version.new"), "2");
                File.SetUnixFileMode(Path.Combine(runtimeDir, "version.new"), (UnixFileMode)0x1a4);
                File.Move(Path.Combine(runtimeDir, "version.new"), Path.Combine(runtimeDir, "version"), overwrite: true);
                await File.WriteAllTextAsync(Path.Combine(runtimeDir, "later"), "new file\n");
                File.SetUnixFileMode(Path.Combine(runtimeDir, "later"), (UnixFileMode)0x1a4);
                await Task.Delay(options.RuntimeViewLifetime * 2);

                var second = await f.RunAsync(["/bin/sh", "-c", script], sandbox: sandbox);
                Assert.Equal("2\nnew file\n1\n", second.Stdout);

                // One generation staged at a time: the one /usr and the test directory's views, each mounted once.
                var views = LeakChecks.Mounts(Path.Combine(state, "view-"));
                Assert.Equal(options.RuntimePaths.Count(p => Directory.Exists(p) && new FileInfo(p).LinkTarget is null), views.Count);
            }

            Assert.Empty(LeakChecks.Mounts(state));
        }
        finally
        {
            foreach (var mount in LeakChecks.Mounts(state))
            {
                Libc.Umount2(mount, Libc.MNT_DETACH);
            }

            Directory.Delete(state, true);
            Directory.Delete(runtimeDir, true);
        }
    }

    [Fact]
    public void Staging_mounts_left_by_a_dead_server_are_unmounted_and_removed()
    {
        var state = Path.Combine("/run", "sandrun-stale-" + Guid.NewGuid().ToString("n")[..8]);
        string[] stale = ["etc-999999999-1", "dev-999999999-3", "proc-999999999-4", "view-999999999-5"];
        foreach (var name in stale)
        {
            var dir = Directory.CreateDirectory(Path.Combine(state, name)).FullName;
            Assert.Equal(0, Libc.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"));
            File.WriteAllText(Path.Combine(dir, "left"), "behind");
        }

        try
        {
            using (var sandbox = new LinuxSandbox(new LinuxSandboxOptions { StateDirectory = state, CgroupName = "sandrun-staletest" }, NullLogger.Instance, null))
            {
                sandbox.EnsureReady();
                Assert.All(stale, name => Assert.False(Directory.Exists(Path.Combine(state, name)), name));
            }

            Assert.Empty(LeakChecks.Mounts(state));
            Assert.Equal(["root"], Directory.GetFileSystemEntries(state).Select(Path.GetFileName));
        }
        finally
        {
            foreach (var mount in LeakChecks.Mounts(state))
            {
                Libc.Umount2(mount, Libc.MNT_DETACH);
            }

            Directory.Delete(state, true);
        }
    }

    private async Task<JobRun> RunAsync(Workspace.TmpfsWorkspace ws, string script, bool network, string template)
    {
        var sink = new CollectingSink();
        var spec = new SandboxSpec(["/bin/sh", "-c", script], ws.Path, SandboxFixture.Limits)
        {
            Egress = network ? [new EgressEndpoint("127.0.0.1", 9)] : [],
            ReadOnlyMounts = [new ReadOnlyMount(template, "/opt/template")],
        };
        var result = await f.Sandbox.RunAsync(spec, sink);
        return new JobRun(result, sink.Stdout, sink.Stderr, sink.StdoutBytes);
    }

    [GeneratedRegex(@"/dev/(vd|sd|hd|xvd|nvme|mmcblk|mapper|dm-|md|loop|root)")]
    private static partial Regex BlockDevice();

    [GeneratedRegex(@" - (ext[234]|xfs|btrfs|zfs|f2fs|vfat|nfs4?) ")]
    private static partial Regex HostFilesystem();
}
