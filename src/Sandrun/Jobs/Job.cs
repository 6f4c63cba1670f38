using Sandrun.Abstractions;
using Sandrun.Manifest;
using Sandrun.Outputs;

namespace Sandrun.Jobs;

/// <summary>Lifecycle state of a job (SPEC.md <c>status</c>).</summary>
public enum JobStatus
{
    /// <summary>Waiting for a worker (or, set up ahead, for the program before it to end).</summary>
    Queued,

    /// <summary>Running in a sandbox.</summary>
    Running,

    /// <summary>Exited 0 within all limits.</summary>
    Completed,

    /// <summary>Anything else.</summary>
    Failed,
}

/// <summary>One submitted job. Ids are unguessable capabilities; a job is only reachable through its id.</summary>
public sealed class Job
{
    private readonly TaskCompletionSource finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile JobStatus status = JobStatus.Queued;

    internal Job(string id, string client, JobManifest manifest, IWorkspace workspace, IReadOnlyDictionary<string, string> inputs, string jobHash, DateTimeOffset submittedAt)
    {
        Id = id;
        JobHash = jobHash;
        Client = client;
        Manifest = manifest;
        Workspace = workspace;
        Inputs = inputs;
        SubmittedAt = submittedAt;
    }

    /// <summary><c>job-</c> followed by 128 random bits in lowercase base32.</summary>
    public string Id { get; }

    /// <summary>The normalized manifest (defaults applied).</summary>
    public JobManifest Manifest { get; }

    /// <summary>SPEC.md §6 job hash over the normalized manifest and every uploaded file.</summary>
    public string JobHash { get; }

    /// <summary>The signed receipt, set before the status becomes final; null when anonymous.</summary>
    public Receipts.Receipt? Receipt { get; internal set; }

    /// <summary>Uploaded files: relative path → SHA-256.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; }

    /// <summary>When the job was accepted.</summary>
    public DateTimeOffset SubmittedAt { get; }

    /// <summary>Current state.</summary>
    public JobStatus Status
    {
        get => status;
        internal set => status = value;
    }

    /// <summary>When it started: its program could start and it left the queue (a job set up ahead waits queued until then).</summary>
    public DateTimeOffset? StartedAt { get; internal set; }

    /// <summary>Whether it has finished (completed or failed): result, outputs and receipt are final.</summary>
    public bool IsFinished => Status is JobStatus.Completed or JobStatus.Failed;

    /// <summary>When it finished.</summary>
    public DateTimeOffset? FinishedAt { get; internal set; }

    /// <summary>Output so far (and live subscriptions), off the managed heap; freed when the job is deleted.</summary>
    public JobLog Log { get; } = new();

    /// <summary>How the sandboxed run ended; null until it has.</summary>
    public SandboxResult? Result { get; internal set; }

    /// <summary>Output files; empty until the job has finished.</summary>
    public IReadOnlyList<OutputFile> Outputs { get; internal set; } = [];

    /// <summary>Why it failed, or null while unfinished or when completed.</summary>
    public FailureReason? FailureReason => Status == JobStatus.Failed ? Result?.FailureReason ?? Abstractions.FailureReason.SetupError : null;

    /// <summary>
    /// The server's remarks on how the job was run: an optional GPU that was not given, files that could not be
    /// listed as outputs. Fixed sentences with counts; never job content. Not part of the signed receipt.
    /// </summary>
    public IReadOnlyList<string> Notes { get; internal set; } = [];

    /// <summary>Set when the sandbox could not run the job at all, or the server could not finish it (its outputs could not be collected).</summary>
    public string? SetupError { get; internal set; }

    /// <summary>Completes once the job has ended: at its final status, or when it was deleted or the server stopped before it got one.</summary>
    public Task Completion => finished.Task;

    internal string Client { get; }

    /// <summary>The job's files on the host. The job may have planted symlinks there: open them with <see cref="Outputs.BeneathFile"/>.</summary>
    public IWorkspace Workspace { get; }

    /// <summary>Who may act on the job now: the claims workers, deletion and the finisher take.</summary>
    internal JobLifecycle Lifecycle { get; } = new();

    internal void MarkFinished() => finished.TrySetResult();
}
