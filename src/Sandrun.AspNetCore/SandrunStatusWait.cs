using System.Globalization;

namespace Sandrun.AspNetCore;

/// <summary>
/// The <c>wait</c> query parameter of <c>GET /status/{id}</c>: seconds the answer for an unfinished job may be held
/// until the job ends. Shared by every host of the endpoint (a server, the pool) so that they accept the same values.
/// </summary>
public static class SandrunStatusWait
{
    /// <summary>The longest wait one request may ask for, in seconds.</summary>
    public const int MaxSeconds = 60;

    /// <summary>
    /// Reads the parameter: true with the wait (zero when absent), or false with the message a 400 answer gives
    /// (not a number, not finite, negative or over <see cref="MaxSeconds"/>).
    /// </summary>
    public static bool TryParse(string? text, out TimeSpan wait, out string? error)
    {
        wait = TimeSpan.Zero;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || !double.IsFinite(seconds) || seconds < 0 || seconds > MaxSeconds)
        {
            error = $"wait must be a number of seconds from 0 to {MaxSeconds}, not '{(text.Length <= 32 ? text : text[..32] + "…")}'";
            return false;
        }

        wait = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>
    /// Holds a request until <paramref name="ended"/> completes or <paramref name="wait"/> has passed; returns at once
    /// when the host begins to stop (<paramref name="stopping"/>), so held requests never hold up its shutdown. Throws
    /// only when the client went away (<paramref name="requestAborted"/>).
    /// </summary>
    public static async Task HoldAsync(Task ended, TimeSpan wait, CancellationToken requestAborted, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(ended);
        using var held = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, stopping);
        try
        {
            await ended.WaitAsync(wait, held.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Not ended yet: answered as it is now.
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            // The host is stopping: answered as it is now.
        }
    }
}
