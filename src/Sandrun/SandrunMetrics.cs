using System.Diagnostics.Metrics;
using Sandrun.Abstractions;

namespace Sandrun;

/// <summary>
/// Engine metrics (meter "Sandrun"): submissions, completions, failures, queue length, spawn latency, job duration, and
/// how long each phase of a job's way through the engine took (<c>sandrun.jobs.phase_duration</c>, tag <c>phase</c>).
/// </summary>
public sealed class SandrunMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "Sandrun";
    private readonly Meter meter;
    private readonly Counter<long> submitted;
    private readonly Counter<long> completed;
    private readonly Counter<long> failed;
    private readonly Counter<long> rejected;
    private readonly Histogram<double> spawnLatency;
    private readonly Histogram<double> duration;
    private readonly Histogram<double> phase;

    /// <summary>Creates the instruments.</summary>
    public SandrunMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        meter = meterFactory.Create(MeterName);
        submitted = meter.CreateCounter<long>("sandrun.jobs.submitted", description: "Jobs accepted");
        completed = meter.CreateCounter<long>("sandrun.jobs.completed", description: "Jobs that exited 0 within all limits");
        failed = meter.CreateCounter<long>("sandrun.jobs.failed", description: "Jobs that failed, tagged with the reason");
        rejected = meter.CreateCounter<long>("sandrun.jobs.rejected", description: "Submissions refused (quota, queue full)");
        spawnLatency = meter.CreateHistogram<double>("sandrun.sandbox.spawn_latency", "ms", "Sandbox setup time until exec");
        duration = meter.CreateHistogram<double>("sandrun.jobs.duration", "ms", "Time a worker spent on a job");
        phase = meter.CreateHistogram<double>("sandrun.jobs.phase_duration", "ms",
            "Time of one phase of a job: workspace, intake, queue (until its program may start), sandbox (its start to the result), spawn, run, collect, finish");
    }

    /// <summary>Registers the queue-length and running-jobs gauges.</summary>
    public void ObserveQueue(Func<int> queueLength, Func<int> running)
    {
        meter.CreateObservableGauge("sandrun.queue.length", queueLength, description: "Jobs waiting");
        meter.CreateObservableGauge("sandrun.jobs.running", running, description: "Jobs running");
    }

    internal void Submitted() => submitted.Add(1);

    internal void Rejected(string reason) => rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    internal void Phase(string name, TimeSpan elapsed) => phase.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("phase", name));

    internal void Finished(SandboxResult result, TimeSpan elapsed)
    {
        if (result.Succeeded)
        {
            completed.Add(1);
        }
        else
        {
            failed.Add(1, new KeyValuePair<string, object?>("reason", result.FailureReason.ToString()));
        }

        spawnLatency.Record(result.SpawnLatency.TotalMilliseconds);
        Phase("spawn", result.SpawnLatency);
        Phase("run", result.WallTime);
        duration.Record(elapsed.TotalMilliseconds);
    }

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();
}
