using System.Diagnostics.Metrics;
using System.Globalization;

namespace Sandrun.Benchmarks;

/// <summary>
/// Collects, while <see cref="Recording"/>, the in-process server's own timings: the engine's per-phase histogram
/// (<c>sandrun.jobs.phase_duration</c>) and ASP.NET Core's request durations by route, for the harness's phase table.
/// </summary>
internal sealed class PhaseTimes : IDisposable
{
    private const string EnginePhases = "sandrun.jobs.phase_duration";
    private const string Requests = "http.server.request.duration";
    private readonly MeterListener listener = new();
    private readonly Lock gate = new();
    private readonly Dictionary<string, List<double>> samples = new(StringComparer.Ordinal);

    public PhaseTimes()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is EnginePhases or Requests)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>(OnMeasurement);
        listener.Start();
    }

    /// <summary>Whether measurements are kept now (the measured rounds), or dropped (warm-up, floor).</summary>
    public bool Recording { get; set; }

    /// <summary>One line per phase: count, mean, p50 and p99 in milliseconds.</summary>
    public List<string> Report()
    {
        lock (gate)
        {
            return [.. samples.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => string.Create(CultureInfo.InvariantCulture,
                $"  {s.Key,-34} n={s.Value.Count,6}  mean {s.Value.Average(),8:F3}  p50 {Samples.Percentile(s.Value, 0.5),8:F3}  p99 {Samples.Percentile(s.Value, 0.99),8:F3}"))];
        }
    }

    /// <summary>The samples of one line of <see cref="Report"/> (e.g. <c>engine spawn</c>), in the order they were recorded.</summary>
    public List<double> Values(string name)
    {
        lock (gate)
        {
            return samples.TryGetValue(name, out var list) ? [.. list] : [];
        }
    }

    public void Dispose() => listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (!Recording)
        {
            return;
        }

        string? phase = null, method = null, route = null;
        foreach (var (key, tag) in tags)
        {
            switch (key)
            {
                case "phase": phase = tag as string; break;
                case "http.request.method": method = tag as string; break;
                case "http.route": route = tag as string; break;
            }
        }

        // Request durations are in seconds, the engine's in milliseconds.
        var (name, ms) = instrument.Name == Requests ? ($"HTTP {method} {route}", value * 1000) : ($"engine {phase}", value);
        lock (gate)
        {
            if (!samples.TryGetValue(name, out var list))
            {
                samples[name] = list = [];
            }

            list.Add(ms);
        }
    }
}
