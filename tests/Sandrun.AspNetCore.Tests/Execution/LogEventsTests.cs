using System.Net;
using System.Text;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests.Execution;

/// <summary>GET /logs/{id}/events: server-sent events beside the WebSocket, read as <c>curl -N</c> or EventSource would.</summary>
public sealed class LogEventsTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-log-events");

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Events_arrive_while_the_job_runs_and_done_ends_the_stream()
    {
        var id = await server.SubmitOkAsync(
            new Dictionary<string, string> { ["main.py"] = "import sys, time\nprint('first', flush=True)\nprint('oops', file=sys.stderr, flush=True)\ntime.sleep(2)\nprint('second')\nsys.exit(3)\n" },
            null);
        using var response = await server.Client.GetAsync($"/logs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);

        var events = new List<(string Name, string Data)>();
        string? statusWhileStreaming = null;
        while (await ReadEventAsync(reader) is { } e)
        {
            events.Add(e);
            if (e.Name == "stdout" && e.Data.Contains("first", StringComparison.Ordinal) && statusWhileStreaming is null)
            {
                // The first line arrives before the job has ended.
                using var status = JsonDocument.Parse(await server.Client.GetStringAsync($"/status/{id}"));
                statusWhileStreaming = status.RootElement.GetProperty("status").GetString();
            }
        }

        Assert.Equal("running", statusWhileStreaming);
        Assert.Equal("status", events[0].Name);
        Assert.Equal("first\nsecond\n", string.Concat(events.Where(e => e.Name == "stdout").Select(e => e.Data)));
        Assert.Equal("oops\n", string.Concat(events.Where(e => e.Name == "stderr").Select(e => e.Data)));
        var done = events[^1];
        Assert.Equal("done", done.Name);
        using var data = JsonDocument.Parse(done.Data);
        Assert.Equal("failed", data.RootElement.GetProperty("status").GetString());
        Assert.Equal(3, data.RootElement.GetProperty("exit_code").GetInt32());
        Assert.Equal("exit_code", data.RootElement.GetProperty("failure_reason").GetString());
    }

    [Fact]
    public async Task A_late_client_gets_the_whole_output_and_an_unknown_job_is_a_json_404()
    {
        var id = await server.SubmitOkAsync(new Dictionary<string, string> { ["run.sh"] = "printf 'a\\r\\nb\\n'" }, null);
        await server.WaitForStatusAsync(id, "completed", "failed");
        var text = await server.Client.GetStringAsync($"/logs/{id}/events");
        using var reader = new StringReader(text);
        var events = new List<(string Name, string Data)>();
        while (await ReadEventAsync(reader) is { } e)
        {
            events.Add(e);
        }

        // CRLF arrives as LF, one data line per line of output, whatever chunks the output came in.
        Assert.Equal("a\nb\n", string.Concat(events.Where(e => e.Name == "stdout").Select(e => e.Data)));
        Assert.Equal(("status", "completed"), events[0]);
        Assert.Equal(("done", "{\"status\":\"completed\",\"exit_code\":0,\"failure_reason\":null}"), events[^1]);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);

        using var missing = await server.Client.GetAsync("/logs/job-doesnotexist/events");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("job not found", JsonDocument.Parse(await missing.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
    }

    /// <summary>One event as an EventSource assembles it: the name, and its data lines joined with LF; null at the end of the stream.</summary>
    private static async Task<(string Name, string Data)?> ReadEventAsync(TextReader reader)
    {
        string? name = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null || data.Count > 0)
                {
                    return (name ?? "message", string.Join('\n', data));
                }

                continue;
            }

            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Add(line[6..]);
            }
        }

        return null;
    }
}
