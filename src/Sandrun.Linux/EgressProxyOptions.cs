namespace Sandrun.Linux;

/// <summary>
/// Bounds of the HTTP proxy that is the only way out for a step with egress (<see cref="Abstractions.SandboxSpec.Egress"/>),
/// per step (<see cref="LinuxSandboxOptions.Egress"/>).
/// </summary>
public sealed class EgressProxyOptions
{
    /// <summary>Connections a step may have open through the proxy at once; more are refused with 503.</summary>
    public int MaxConnections { get; set; } = 32;

    /// <summary>Bytes relayed per step, both directions together; past it every connection of the step is closed.</summary>
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>How long a client may take to send its request head (a slow client gets 408).</summary>
    public TimeSpan RequestHeadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long resolving and connecting to an allowed endpoint may take (then 504).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
