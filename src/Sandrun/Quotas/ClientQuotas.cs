using Microsoft.Extensions.Options;

namespace Sandrun.Quotas;

/// <summary>Whether a client may submit now, and if not, why and when to retry.</summary>
/// <param name="Allowed">True when the submission is admitted (and already counted).</param>
/// <param name="Reason">Why not, in words a client can act on.</param>
/// <param name="RetryAfter">When trying again can succeed.</param>
public sealed record QuotaDecision(bool Allowed, string? Reason, TimeSpan RetryAfter);

/// <summary>A client's quota state for <c>/stats</c> (SPEC.md §2).</summary>
/// <param name="UsedCpuSeconds">CPU-seconds charged in the last minute.</param>
/// <param name="LimitCpuSeconds">CPU-seconds allowed per sliding minute.</param>
/// <param name="ActiveJobs">Queued plus running jobs.</param>
/// <param name="CanSubmit">Whether a submission would be admitted now.</param>
/// <param name="Reason">Why not, or null.</param>
public sealed record QuotaSnapshot(double UsedCpuSeconds, double LimitCpuSeconds, int ActiveJobs, bool CanSubmit, string? Reason)
{
    /// <summary>CPU-seconds still available in the current minute.</summary>
    public double AvailableCpuSeconds => Math.Max(0, LimitCpuSeconds - UsedCpuSeconds);
}

/// <summary>
/// Per-client quotas (SPEC.md §2): queued+running jobs, submissions per sliding hour, CPU-seconds per sliding
/// minute. Clients are keyed by IP address; state of idle clients is dropped after an hour.
/// </summary>
public sealed class ClientQuotas
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private readonly RateLimitOptions options;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private readonly Dictionary<string, ClientState> clients = new(StringComparer.Ordinal);
    private DateTimeOffset nextPrune;

    /// <summary>Creates the quota book.</summary>
    public ClientQuotas(IOptions<SandrunOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value.RateLimits;
        this.time = time;
    }

    /// <summary>Admits a submission (counting it) or says why not.</summary>
    public QuotaDecision TryAdmit(string client)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            Prune(now);
            var state = Get(client, now);
            var refusal = Refusal(state, now);
            if (refusal is not null)
            {
                return refusal;
            }

            state.Submissions.Enqueue(now);
            state.Active++;
            return new QuotaDecision(true, null, TimeSpan.Zero);
        }
    }

    /// <summary>Records CPU time a client's job consumed (charged when measured).</summary>
    public void ChargeCpu(string client, TimeSpan cpu)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            Get(client, now).Cpu.Enqueue((now, cpu.TotalSeconds));
        }
    }

    /// <summary>A job of the client left the queued/running state.</summary>
    public void JobEnded(string client)
    {
        lock (gate)
        {
            if (clients.TryGetValue(client, out var state) && state.Active > 0)
            {
                state.Active--;
            }
        }
    }

    /// <summary>The client's quota state.</summary>
    public QuotaSnapshot Snapshot(string client)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            var state = Get(client, now);
            var refusal = Refusal(state, now);
            return new QuotaSnapshot(CpuUsed(state, now), options.CpuSecondsPerMinute, state.Active, refusal is null, refusal?.Reason);
        }
    }

    private QuotaDecision? Refusal(ClientState state, DateTimeOffset now)
    {
        if (!options.Enabled)
        {
            return null;
        }

        Trim(state, now);
        if (state.Active >= options.MaxActiveJobs)
        {
            // Retrying is useful once a job ends; there is no exact time, so suggest a short wait.
            return new QuotaDecision(false, $"{state.Active} jobs are already queued or running (limit {options.MaxActiveJobs})", TimeSpan.FromSeconds(5));
        }

        if (state.Submissions.Count >= options.MaxJobsPerHour)
        {
            return new QuotaDecision(false, $"{options.MaxJobsPerHour} submissions per hour reached", state.Submissions.Peek() + Hour - now);
        }

        var used = CpuUsed(state, now);
        if (used >= options.CpuSecondsPerMinute)
        {
            // When enough of the charges age out of the window.
            var excess = used - options.CpuSecondsPerMinute;
            var freed = 0.0;
            var at = now;
            foreach (var (when, seconds) in state.Cpu)
            {
                freed += seconds;
                at = when;
                if (freed > excess)
                {
                    break;
                }
            }

            return new QuotaDecision(false, $"{used:0.##} of {options.CpuSecondsPerMinute:0.##} CPU-seconds used in the last minute", at + Minute - now);
        }

        return null;
    }

    private static double CpuUsed(ClientState state, DateTimeOffset now) =>
        state.Cpu.Where(c => c.When > now - Minute).Sum(c => c.Seconds);

    private static void Trim(ClientState state, DateTimeOffset now)
    {
        while (state.Submissions.TryPeek(out var t) && t <= now - Hour)
        {
            state.Submissions.Dequeue();
        }

        while (state.Cpu.TryPeek(out var c) && c.When <= now - Minute)
        {
            state.Cpu.Dequeue();
        }
    }

    private ClientState Get(string client, DateTimeOffset now)
    {
        if (!clients.TryGetValue(client, out var state))
        {
            state = new ClientState();
            clients[client] = state;
        }

        state.LastSeen = now;
        return state;
    }

    private void Prune(DateTimeOffset now)
    {
        if (now < nextPrune)
        {
            return;
        }

        nextPrune = now + Minute;
        foreach (var (key, state) in clients.ToList())
        {
            Trim(state, now);
            if (state.Active == 0 && state.Submissions.Count == 0 && state.Cpu.Count == 0 && state.LastSeen < now - Minute)
            {
                clients.Remove(key);
            }
        }
    }

    private sealed class ClientState
    {
        public Queue<DateTimeOffset> Submissions { get; } = new();

        public Queue<(DateTimeOffset When, double Seconds)> Cpu { get; } = new();

        public int Active { get; set; }

        public DateTimeOffset LastSeen { get; set; }
    }
}
