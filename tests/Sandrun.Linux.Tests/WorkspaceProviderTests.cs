using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Linux.Workspace;

namespace Sandrun.Linux.Tests;

/// <summary>
/// The provider's workspaces stay out of the host's mount table (every sandbox copies that table, so retained
/// jobs would make every spawn slower), and out of any sandbox's, while keeping every promise of a workspace.
/// </summary>
[Collection("sandbox")]
public sealed class WorkspaceProviderTests(SandboxFixture f)
{
    private const string Mountinfo = "/proc/self/mountinfo";

    // A size no other mount in these tests has: mountinfo shows it as "size=3333k" wherever such a tmpfs is mounted.
    private const long RetainedSize = 3333 * 1024;
    private const string RetainedMark = "size=3333k";

    [Fact]
    public async Task Retained_workspaces_are_in_no_mount_table_and_stay_readable_until_deleted()
    {
        using var provider = new TmpfsWorkspaceProvider(f.Sandbox, Options.Create(f.Options));
        var retained = Enumerable.Range(0, 50).Select(i => provider.Create($"retained-{i}", RetainedSize)).ToList();
        foreach (var (ws, i) in retained.Select((w, i) => (w, i)))
        {
            await File.WriteAllTextAsync(Path.Combine(ws.Path, "out.txt"), $"result {i}");
        }

        using var running = provider.Create("running", 1 << 20);
        var job = await RunAsync(running, "cat /proc/self/mountinfo; echo written > /workspace/mine.txt");
        Assert.True(job.Result.Succeeded, job.ToString());

        // One mount for the running job's workspace, none for the retained ones, nowhere.
        Assert.DoesNotContain(RetainedMark, File.ReadAllText(Mountinfo), StringComparison.Ordinal);
        Assert.Contains("size=1024k", Assert.Single(job.Stdout.Split('\n'), l => l.Contains(" /workspace ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain(RetainedMark, job.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("retained", job.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(f.Options.StateDirectory, job.Stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(f.Options.StateDirectory, "*retained*"));
        Assert.Equal("written\n", await File.ReadAllTextAsync(Path.Combine(running.Path, "mine.txt")));

        foreach (var (ws, i) in retained.Select((w, i) => (w, i)))
        {
            Assert.Equal($"result {i}", await File.ReadAllTextAsync(Path.Combine(ws.Path, "out.txt")));
        }

        var deleted = retained[7];
        deleted.Dispose();
        Assert.False(Directory.Exists(deleted.Path));
        Assert.False(File.Exists(Path.Combine(deleted.Path, "out.txt")));
        Assert.Equal("result 8", await File.ReadAllTextAsync(Path.Combine(retained[8].Path, "out.txt")));
        Assert.ThrowsAny<IOException>(() => provider.Create("retained-8", RetainedSize));

        var paths = retained.Select(w => w.Path).ToList();
        provider.Dispose();
        Assert.All(paths, p => Assert.False(Directory.Exists(p)));
        Assert.DoesNotContain(RetainedMark, File.ReadAllText(Mountinfo), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_provider_workspace_keeps_its_size_limit_owner_and_mount_flags()
    {
        using var provider = new TmpfsWorkspaceProvider(f.Sandbox, Options.Create(f.Options));
        using var ws = provider.Create("limits", 1 << 20);
        var job = await RunAsync(ws, "grep ' /workspace ' /proc/self/mountinfo; stat -c '%u %a' /workspace; "
            + "for f in a b c; do { head -c 500000 /dev/zero > /workspace/$f; } 2>&1; done; du -sk /workspace | cut -f1");
        Assert.True(job.Result.Succeeded, job.ToString());
        var lines = job.Stdout.Split('\n');
        Assert.Contains("nosuid", lines[0], StringComparison.Ordinal);
        Assert.Contains("nodev", lines[0], StringComparison.Ordinal);
        Assert.Contains(" - tmpfs ", lines[0], StringComparison.Ordinal);
        Assert.Equal("65534 700", lines[1]);
        Assert.Contains("No space left on device", job.Stdout, StringComparison.Ordinal);
        Assert.True(long.Parse(lines[^2], System.Globalization.CultureInfo.InvariantCulture) <= 1024, job.Stdout);
    }

    private async Task<JobRun> RunAsync(IWorkspace ws, string script)
    {
        var sink = new CollectingSink();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await f.Sandbox.RunAsync(new SandboxSpec(["/bin/sh", "-c", script], ws.Path, SandboxFixture.Limits), sink).WaitAsync(timeout.Token);
        return new JobRun(result, sink.Stdout, sink.Stderr, sink.StdoutBytes);
    }
}
