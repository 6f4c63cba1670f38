using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Sandrun.Abstractions;
using Sandrun.Intake;
using Sandrun.Jobs;
using Sandrun.Receipts;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// The real engine (queue, worker, output collection, signing, logging) with a stand-in sandbox: the "job" is a C#
/// action on the workspace directory, so engine behaviour can be checked with real files and no Linux privileges.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private readonly ServiceProvider services;

    private EngineHarness(ServiceProvider services, string root)
    {
        this.services = services;
        Root = root;
        Engine = services.GetRequiredService<JobEngine>();
        Signer = (Ed25519Signer)services.GetRequiredService<IResultSigner>();
        Log = services.GetRequiredService<FakeLogCollector>();
    }

    public JobEngine Engine { get; }

    public Ed25519Signer Signer { get; }

    public FakeLogCollector Log { get; }

    /// <summary>Where the workspaces live.</summary>
    public string Root { get; }

    /// <summary>Everything the engine logged, messages and exceptions, as one text.</summary>
    public string LogText => string.Join('\n', Log.GetSnapshot().Select(r => $"{r.Level} {r.Message} {r.Exception}"));

    /// <summary>Starts an engine whose sandbox runs <paramref name="job"/> on the workspace directory and reports exit 0.</summary>
    public static async Task<EngineHarness> StartAsync(Action<string> job, Action<SandrunOptions>? configure = null)
    {
        // Production workspaces are tmpfs; /dev/shm is the closest stand-in.
        var root = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "sandrun-engine-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var collection = new ServiceCollection();
        collection.AddFakeLogging();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace));
        collection.AddSandrun(o =>
        {
            o.Workers = 1;
            o.RateLimits.Enabled = false;
            configure?.Invoke(o);
        });
        collection.AddSingleton<ISandbox>(new ActionSandbox(job));
        collection.AddSingleton<IWorkspaceProvider>(new DirectoryWorkspaces(root));
        collection.AddSingleton<IResultSigner>(Ed25519Signer.Generate());
        var services = collection.BuildServiceProvider();
        var harness = new EngineHarness(services, root);
        await harness.Engine.StartAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>Submits <c>main.py</c> with <paramref name="manifest"/> and waits for the job to finish.</summary>
    public async Task<Job> RunAsync(string manifest)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes("print(1)"));
        var (id, _) = await Engine.SubmitAsync(new SubmitRequest("test", [new UploadPart("main.py", content)], manifest), CancellationToken.None);
        Assert.True(Engine.TryGet(id, out var job));
        await job.Completion.WaitAsync(TimeSpan.FromMinutes(2));
        return job;
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        await services.DisposeAsync();
        DirectoryWorkspaces.Remove(Root);
    }

    private sealed class ActionSandbox(Action<string> job) : ISandbox
    {
        public Task<SandboxResult> RunAsync(SandboxSpec spec, ISandboxOutputSink output, CancellationToken cancellationToken = default)
        {
            job(spec.WorkspaceDirectory);
            return Task.FromResult(new SandboxResult(FailureReason.None, 0, null, TimeSpan.FromMilliseconds(1), 1 << 20, TimeSpan.FromMilliseconds(2)));
        }

        public void EnsureReady()
        {
        }

        public bool CanRun(string program) => true;
    }

    private sealed class DirectoryWorkspaces(string root) : IWorkspaceProvider
    {
        public IWorkspace Create(string jobId, long sizeBytes)
        {
            var path = Path.Combine(root, jobId);
            Directory.CreateDirectory(path);
            return new DirectoryWorkspace(path);
        }

        /// <summary>rm -rf: it removes trees deeper than PATH_MAX, which Directory.Delete cannot.</summary>
        public static void Remove(string path)
        {
            using var rm = Process.Start("rm", ["-rf", "--", path]);
            rm.WaitForExit();
        }

        private sealed record DirectoryWorkspace(string Path) : IWorkspace
        {
            public uint OwnerUid => 0;

            public uint OwnerGid => 0;

            public void Dispose() => Remove(Path);
        }
    }
}
