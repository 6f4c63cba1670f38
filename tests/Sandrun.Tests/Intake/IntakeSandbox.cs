using System.Diagnostics;
using Sandrun.Intake;
using Sandrun.Jobs;

namespace Sandrun.Tests.Intake;

/// <summary>
/// A workspace at <c>&lt;tmp&gt;/jobs/ws</c> with a sentinel at <c>&lt;tmp&gt;/outside</c>: hostile entries aim
/// at the sentinel (<c>../../outside</c>), and every test checks that nothing but the workspace appeared.
/// </summary>
internal sealed class IntakeSandbox : IDisposable
{
    public const uint Uid = 2_000_000_001, Gid = 2_000_000_002;

    public IntakeSandbox()
    {
        // Production workspaces are tmpfs; /dev/shm is the closest stand-in (and keeps 10 000-file tests fast).
        var temp = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        Root = Path.Combine(temp, "sandrun-intake-" + Guid.NewGuid().ToString("N"));
        Workspace = Path.Combine(Root, "jobs", "ws");
        Directory.CreateDirectory(Workspace);
    }

    public string Root { get; }

    public string Workspace { get; }

    public string Outside => Path.Combine(Root, "outside");

    public static UploadPart Part(string fileName, byte[] content) => new(fileName, new AsyncOnlyStream(content));

    public Task<IntakeResult> RunAsync(params UploadPart[] parts) => RunAsync(IntakeLimits.Default, parts);

    public Task<IntakeResult> RunAsync(IntakeLimits limits, params UploadPart[] parts) =>
        UploadIntake.ExtractAsync(parts, Workspace, limits, Uid, Gid);

    /// <summary>
    /// Runs the upload and expects it refused as <paramref name="kind"/>, the details starting with
    /// <paramref name="part"/> and naming <paramref name="entry"/>; then checks that nothing escaped.
    /// </summary>
    public Task<IntakeException> RejectAsync(SubmitRefusal kind, string part, string entry, params UploadPart[] parts) =>
        RejectAsync(IntakeLimits.Default, kind, part, entry, parts);

    public async Task<IntakeException> RejectAsync(IntakeLimits limits, SubmitRefusal kind, string part, string entry, params UploadPart[] parts)
    {
        var error = await Assert.ThrowsAsync<IntakeException>(() => RunAsync(limits, parts));
        Assert.Equal(kind, error.Kind);
        Assert.StartsWith(part + ":", error.Details, StringComparison.Ordinal);
        Assert.Contains(entry, error.Details, StringComparison.Ordinal);
        AssertNothingOutside();
        return error;
    }

    public void AssertNothingOutside()
    {
        Assert.Equal([Path.Combine(Root, "jobs")], Directory.GetFileSystemEntries(Root));
        Assert.Equal([Workspace], Directory.GetFileSystemEntries(Path.Combine(Root, "jobs")));
        Assert.False(Path.Exists(Outside));
    }

    public string PathOf(string relative) => Path.Combine(Workspace, relative);

    public string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Owner, group, octal mode and type of a path, not following symlinks (stat(1)).</summary>
    public string Stat(string relative)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u:%g %a %F", "--", PathOf(relative)]) { RedirectStandardOutput = true })!;
        var line = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.Equal(0, stat.ExitCode);
        return line;
    }

    public void Dispose()
    {
        // The workspace may hold symlinks; Directory.Delete removes links, never their targets.
        Directory.Delete(Root, recursive: true);
    }
}
