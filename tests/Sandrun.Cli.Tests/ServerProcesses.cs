using Sandrun.Broker.Tests.EndToEnd;

namespace Sandrun.Cli.Tests;

/// <summary>Waiting for the sample server's verbs started as processes.</summary>
internal static class ServerProcesses
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails if the process exits or two minutes pass.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, ServerProcess process)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            Assert.False(process.HasExited, $"{process.Name} exited: {process.Output}");
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"{process.Name} did not get ready: {process.Output}");
            await Task.Delay(200);
        }
    }
}
