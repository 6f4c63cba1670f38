namespace Sandrun.Broker.Node;

/// <summary>A pulling node's settings (configuration section <c>Sandrun:BrokerNode</c>).</summary>
public sealed class BrokerNodeOptions
{
    /// <summary>The broker's base URL, e.g. <c>http://broker:8000/</c>.</summary>
    public Uri? Broker { get; set; }

    /// <summary>Jobs this node runs at once (each slot claims on its own).</summary>
    public int Slots { get; set; } = 1;

    /// <summary>How long one claim waits at the broker for a job (long poll).</summary>
    public int ClaimWaitSeconds { get; set; } = 30;

    /// <summary>What the node tells the broker about where it runs; the host name by default.</summary>
    public string? Endpoint { get; set; }

    /// <summary>How often a completion is sent again when the broker cannot be reached, before the node gives the job up to its lease.</summary>
    public int CompletionAttempts { get; set; } = 5;

    /// <summary>Longest wait between tries when the broker cannot be reached.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);
}
