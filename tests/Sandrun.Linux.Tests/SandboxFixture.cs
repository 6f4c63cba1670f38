using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Sandrun.Abstractions;
using Sandrun.Linux.Workspace;

namespace Sandrun.Linux.Tests;

/// <summary>One real sandbox shared by the tests, plus helpers to run jobs in fresh tmpfs workspaces.</summary>
public sealed class SandboxFixture : IDisposable
{
    public SandboxFixture()
    {
        Options = new LinuxSandboxOptions();
        Sandbox = new LinuxSandbox(Options, NullLogger.Instance, null);
        Sandbox.EnsureReady();
    }

    public LinuxSandboxOptions Options { get; }

    public LinuxSandbox Sandbox { get; }

    public static SandboxLimits Limits { get; } = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10), 256L << 20, 64, 1L << 20);

    public TmpfsWorkspace NewWorkspace(long sizeBytes = 16L << 20) =>
        TmpfsWorkspace.Create(Path.Combine("/run/sandrun-tests", Guid.NewGuid().ToString("n")), sizeBytes, Sandbox.JobHostUid, Sandbox.JobHostGid);

    /// <summary>Runs argv in a fresh workspace holding <paramref name="files"/>, on the shared sandbox unless another is given.</summary>
    public async Task<JobRun> RunAsync(string[] argv, IDictionary<string, string>? files = null, SandboxLimits? limits = null,
        string? stdin = null, IReadOnlyDictionary<string, string>? env = null, TmpfsWorkspace? workspace = null, LinuxSandbox? sandbox = null)
    {
        var ws = workspace ?? NewWorkspace();
        try
        {
            foreach (var (name, content) in files ?? new Dictionary<string, string>())
            {
                var path = Path.Combine(ws.Path, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, content);
                File.SetUnixFileMode(path, (UnixFileMode)0x1ed);
            }

            var sink = new CollectingSink();
            var spec = new SandboxSpec(argv, ws.Path, limits ?? Limits)
            {
                Stdin = stdin is null ? default : Encoding.UTF8.GetBytes(stdin),
                Environment = env ?? new Dictionary<string, string>(),
            };
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var result = await (sandbox ?? Sandbox).RunAsync(spec, sink).WaitAsync(timeout.Token);
            return new JobRun(result, sink.Stdout, sink.Stderr, sink.StdoutBytes);
        }
        finally
        {
            if (workspace is null)
            {
                ws.Dispose();
            }
        }
    }

    public Task<JobRun> PythonAsync(string code, SandboxLimits? limits = null) =>
        RunAsync(["python3", "main.py"], new Dictionary<string, string> { ["main.py"] = code }, limits);

    public Task<JobRun> ShAsync(string script, SandboxLimits? limits = null) => RunAsync(["/bin/sh", "-c", script], limits: limits);

    public void Dispose() => Sandbox.Dispose();
}

/// <summary>A finished job with its collected output.</summary>
public sealed record JobRun(SandboxResult Result, string Stdout, string Stderr, byte[] StdoutBytes)
{
    public override string ToString() =>
        $"{Result.FailureReason} exit={Result.ExitCode} signal={Result.Signal} detail={Result.Detail}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Collects output bytes per stream.</summary>
public sealed class CollectingSink : ISandboxOutputSink
{
    private readonly MemoryStream stdout = new();
    private readonly MemoryStream stderr = new();
    private readonly Lock gate = new();

    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public byte[] StdoutBytes
    {
        get
        {
            lock (gate)
            {
                return stdout.ToArray();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (gate)
            {
                return Encoding.UTF8.GetString(stderr.ToArray());
            }
        }
    }

    public void OnOutput(SandboxStream stream, ReadOnlySpan<byte> chunk)
    {
        lock (gate)
        {
            (stream == SandboxStream.Stdout ? stdout : stderr).Write(chunk);
        }
    }
}

[CollectionDefinition("sandbox")]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
}
