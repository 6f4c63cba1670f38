using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Sandrun.Abstractions;
using Sandrun.Intake;
using Sandrun.Jobs;
using Sandrun.Quotas;
using Sandrun.Receipts;

namespace Sandrun.Tests.Jobs;

/// <summary>
/// The real engine (queue, worker, output collection, signing, logging) with a stand-in sandbox: the "job" is a C#
/// action on the workspace directory, so engine behaviour can be checked with real files and no Linux privileges.
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    /// <summary>The client key jobs are submitted under unless a test says otherwise.</summary>
    public const string Client = "test";

    /// <summary>How long a test waits for something the engine does at once.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider services;
    private bool stopped;
    private HeldSandbox? held;

    private EngineHarness(ServiceProvider services, string root)
    {
        this.services = services;
        Root = root;
        Engine = services.GetRequiredService<JobEngine>();
        Signer = services.GetRequiredService<IResultSigner>();
        Log = services.GetRequiredService<FakeLogCollector>();
        Quotas = services.GetRequiredService<ClientQuotas>();
    }

    public JobEngine Engine { get; }

    public IResultSigner Signer { get; }

    public FakeLogCollector Log { get; }

    public ClientQuotas Quotas { get; }

    /// <summary>Where the workspaces live.</summary>
    public string Root { get; }

    /// <summary>Everything the engine logged, messages and exceptions, as one text.</summary>
    public string LogText => string.Join('\n', Log.GetSnapshot().Select(r => $"{r.Level} {r.Message} {r.Exception}"));

    /// <summary>Starts an engine whose sandbox runs <paramref name="job"/> on the workspace directory and reports exit 0.</summary>
    public static Task<EngineHarness> StartAsync(Action<string> job, Action<SandrunOptions>? configure = null) =>
        StartAsync(new ActionSandbox(job), configure);

    /// <summary>
    /// Starts an engine on <paramref name="sandbox"/> the way a host does (its hosted services), on <paramref name="time"/>
    /// (the system clock by default) and signing with <paramref name="signer"/> (a fresh key by default).
    /// </summary>
    public static async Task<EngineHarness> StartAsync(ISandbox sandbox, Action<SandrunOptions>? configure = null, TimeProvider? time = null, IResultSigner? signer = null)
    {
        // Production workspaces are tmpfs; /dev/shm is the closest stand-in.
        var root = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "sandrun-engine-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        var collection = new ServiceCollection();
        collection.AddFakeLogging();
        collection.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace));
        if (time is not null)
        {
            collection.AddSingleton(time);
        }

        collection.AddSandrun(o =>
        {
            o.Workers = 1;
            o.RateLimits.Enabled = false;
            configure?.Invoke(o);
        });
        collection.AddSingleton(sandbox);
        collection.AddSingleton<IWorkspaceProvider>(new DirectoryWorkspaces(root));
        collection.AddSingleton(signer ?? Ed25519Signer.Generate());
        var services = collection.BuildServiceProvider();
        var harness = new EngineHarness(services, root);
        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return harness;
    }

    /// <summary>
    /// Starts an engine on a <see cref="HeldSandbox"/> (<see cref="Held"/>), whose runs end when the test says; with
    /// <paramref name="honoursStartGate"/> the engine overlaps setup (its default), so the next job is set up ahead.
    /// </summary>
    public static async Task<EngineHarness> StartHeldAsync(Action<SandrunOptions>? configure = null, TimeProvider? time = null, IResultSigner? signer = null,
        bool honoursStartGate = false)
    {
        var sandbox = new HeldSandbox(honoursStartGate);
        var harness = await StartAsync(sandbox, configure, time, signer);
        harness.held = sandbox;
        return harness;
    }

    /// <summary>The sandbox of <see cref="StartHeldAsync"/>.</summary>
    public HeldSandbox Held => held ?? throw new InvalidOperationException("started without a held sandbox");

    /// <summary>Submits a job and waits until its run has started in <see cref="Held"/>.</summary>
    public async Task<(Job Job, HeldRun Run)> StartJobAsync()
    {
        var job = await SubmitAsync();
        var run = await Held.NextAsync();
        Assert.Equal(job.Id, run.JobId);
        return (job, run);
    }

    /// <summary>Submits a job, ends its run in <see cref="Held"/> with <paramref name="exitCode"/> and waits for the job to end.</summary>
    public async Task<Job> FinishJobAsync(int exitCode = 0)
    {
        var (job, run) = await StartJobAsync();
        run.Exit(exitCode);
        await job.Completion.WaitAsync(Patience);
        return job;
    }

    /// <summary>Jobs of the client <paramref name="client"/> queued or running, as its quota counts them.</summary>
    public int ActiveJobs(string client = Client) => Quotas.Snapshot(client).ActiveJobs;

    /// <summary>Where the job's workspace is (or was) on the host.</summary>
    public string WorkspaceOf(Job job) => Path.Combine(Root, job.Id);

    /// <summary>The workspaces that exist now, by job id.</summary>
    public IReadOnlyList<string> Workspaces => [.. Directory.GetDirectories(Root).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>Submits <c>main.py</c> with <paramref name="manifest"/> and returns the job.</summary>
    public async Task<Job> SubmitAsync(string manifest = "{}", string client = Client)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes("print(1)"));
        var (id, _) = await Engine.SubmitAsync(new SubmitRequest(client, [new UploadPart("main.py", content)], manifest), CancellationToken.None);
        Assert.True(Engine.TryGet(id, out var job));
        return job;
    }

    /// <summary>Submits <c>main.py</c> with <paramref name="manifest"/> and waits for the job to finish.</summary>
    public async Task<Job> RunAsync(string manifest)
    {
        var job = await SubmitAsync(manifest);
        await job.Completion.WaitAsync(TimeSpan.FromMinutes(2));
        return job;
    }

    /// <summary>Stops the engine as a host does (the workers, then every job is deleted); idempotent.</summary>
    public async Task StopAsync()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        foreach (var hosted in services.GetServices<IHostedService>().Reverse())
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await services.DisposeAsync();
        DirectoryWorkspaces.Remove(Root);
    }

    /// <summary>A sandbox whose runs call <paramref name="job"/> on the workspace directory and report exit 0.</summary>
    internal sealed class ActionSandbox(Action<string> job) : ISandbox
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
