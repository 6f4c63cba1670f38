using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ModelContextProtocol.Client;
using Sandrun.Receipts;

namespace Sandrun.Benchmarks;

/// <summary>
/// The sample server published with NativeAOT, and a smoke test of the published binary: a worker key it generates,
/// a job through <c>/submit</c> to <c>completed</c> with a receipt that verifies (in this process and with the binary's
/// own <c>verify</c>), <c>/execute</c>, the MCP tools (listed, and called with every parameter type) and the web UI. Trimming and AOT break code that works under the JIT only at run time (reflection, JSON
/// without source-generated metadata), so the build alone proves little.
/// </summary>
internal static class AotServer
{
    /// <summary>Publishes <c>samples/Sandrun.Server</c> with <c>PublishAot</c> into <paramref name="output"/>; returns the binary.</summary>
    public static async Task<string> PublishAsync(string output)
    {
        var project = Path.Combine(RepositoryRoot(), "samples", "Sandrun.Server", "Sandrun.Server.csproj");
        var rid = "linux-" + RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        var started = Stopwatch.GetTimestamp();
        using var publish = Process.Start(new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-r", rid, "-p:PublishAot=true", "-o", output])
        {
            RedirectStandardOutput = true,
        })!;
        var log = await publish.StandardOutput.ReadToEndAsync();
        await publish.WaitForExitAsync();
        if (publish.ExitCode != 0)
        {
            Console.Error.Write(log);
            throw new InvalidOperationException($"dotnet publish of the sample server with PublishAot failed (exit code {publish.ExitCode})");
        }

        // The sample treats warnings as errors, but trimming and AOT analysis warnings of its dependencies surface only here.
        var warnings = log.Split('\n').Where(l => l.Contains(": warning ", StringComparison.Ordinal)).Distinct().ToList();
        var binary = Path.Combine(output, "Sandrun.Server");
        Console.WriteLine($"# NativeAOT publish ({rid}): {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s, {warnings.Count} warnings, "
            + $"binary {new FileInfo(binary).Length / 1048576.0:F1} MiB");
        foreach (var warning in warnings)
        {
            Console.WriteLine("#   " + warning.Trim());
        }

        return binary;
    }

    /// <summary>Runs the smoke test against <paramref name="server"/> (a native binary); throws on the first failure.</summary>
    public static async Task SmokeAsync(string server, IReadOnlyList<string> environment)
    {
        var directory = Directory.CreateTempSubdirectory("sandrun-aot-smoke-");
        try
        {
            var key = Path.Combine(directory.FullName, "worker_key.pem");
            var (generated, keyOutput) = await RunAsync(server, "--generate-key", key);
            var workerId = keyOutput.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Worker ID: ", StringComparison.Ordinal))?["Worker ID: ".Length..];
            Check(generated == 0 && workerId is not null, $"--generate-key: exit code {generated}, output {keyOutput}");

            await using var process = await SampleServerProcess.StartAsync(server, environment, "--worker-key", key);
            using var client = new HttpClient { BaseAddress = process.Address, Timeout = TimeSpan.FromMinutes(1) };

            using var form = new MultipartFormDataContent { { new ByteArrayContent("print(6 * 7)"u8.ToArray()), "files", "main.py" } };
            using var submit = await client.PostAsync("/submit", form);
            submit.EnsureSuccessStatusCode();
            var id = (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString()!;
            var statusText = await client.GetStringAsync($"/status/{id}?wait=30");
            var status = JsonDocument.Parse(statusText).RootElement;
            Check(status.GetProperty("status").GetString() == "completed", "job status: " + statusText);
            var logs = await client.GetFromJsonAsync<JsonElement>($"/logs/{id}");
            Check(logs.GetProperty("stdout").GetString() == "42\n", "job logs: " + logs);
            var metadata = status.GetProperty("worker_metadata");
            var receipt = metadata.GetProperty("receipt").GetString();
            var signature = metadata.GetProperty("signature").GetString();
            Check(receipt is not null && signature is not null && ReceiptVerifier.Verify(receipt, signature, workerId!), "receipt: " + metadata);
            var statusFile = Path.Combine(directory.FullName, "status.json");
            await File.WriteAllTextAsync(statusFile, statusText);
            var (verified, verifyOutput) = await RunAsync(server, "verify", "--status", statusFile, "--worker-id", workerId!);
            Check(verified == 0, $"{server} verify: exit code {verified}, output {verifyOutput}");

            using var execute = await client.PostAsync("/execute", new StringContent("""{"language": "python", "code": "import sys; print(6 * 7, sys.stdin.read())", "stdin": "hi"}""", Encoding.UTF8, "application/json"));
            var executed = await execute.Content.ReadFromJsonAsync<JsonElement>();
            Check(execute.IsSuccessStatusCode && executed.GetProperty("stdout").GetString() == "42 hi\n", "/execute: " + executed);

            await using (var mcp = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(process.Address, "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
            })))
            {
                var tools = await mcp.ListToolsAsync();
                Check(tools.Count == 8 && tools.All(t => t.ProtocolTool.InputSchema.GetProperty("properties").EnumerateObject().Any()), "MCP tools: " + string.Join(", ", tools.Select(t => t.Name)));
                // Every parameter type of the tools: strings, a dictionary, an array, nullable ints, a bool.
                var result = await mcp.CallToolAsync("execute_code", new Dictionary<string, object?>
                {
                    ["language"] = "python",
                    ["code"] = "import sys, lib; print(lib.x, *sys.argv[1:])",
                    ["files"] = new Dictionary<string, string> { ["lib.py"] = "x = 6 * 7" },
                    ["args"] = new[] { "a", "b" },
                    ["timeout"] = 30,
                    ["memory_mb"] = 64,
                    ["wait"] = true,
                });
                var body = JsonSerializer.SerializeToElement(result.StructuredContent);
                Check(result.IsError != true && body.GetProperty("stdout").GetString() == "42 a b\n", "MCP execute_code: " + body);
            }

            using var ui = await client.GetAsync("/ui/");
            Check(ui.IsSuccessStatusCode, $"/ui/: {ui.StatusCode}");
            Console.WriteLine($"# smoke test of {Path.GetFileName(server)} passed (start to ready {process.StartTime.TotalMilliseconds:F0} ms with a worker key): "
                + "job completed with a verified receipt, /execute, MCP tools/list and execute_code, UI");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("AOT smoke test failed: " + what);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sandrun.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("run the benchmarks from the repository (Sandrun.sln not found above " + AppContext.BaseDirectory + ")");
    }
}
