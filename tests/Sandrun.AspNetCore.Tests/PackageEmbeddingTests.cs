using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Sandrun.AspNetCore.Tests;

/// <summary>
/// The embedding path as a user takes it: the packages packed to a local feed, a fresh <c>dotnet new web</c> app, the
/// README's embedding block pasted into its Program.cs, built without edits and run as its own process; a job runs
/// end to end, and the app's own <c>/</c>, 404s and CORS stay the app's. Offline: the local feed plus the NuGet cache
/// the solution's restore filled (as a fallback folder, so the cache itself is left as it was).
/// </summary>
public sealed class PackageEmbeddingTests : IDisposable
{
    private const string StateDirectory = "/run/sandrun-http-package";

    private readonly string root = Directory.CreateTempSubdirectory("sandrun-package-").FullName;

    private static string Repository { get; } = FindRepository();

    [Fact]
    public async Task A_new_web_app_following_the_README_builds_runs_a_job_and_keeps_its_own_routes()
    {
        var feed = Directory.CreateDirectory(Path.Combine(root, "feed")).FullName;
        await DotnetAsync(Repository, "pack", "Sandrun.sln", "-c", Configuration, "--no-build", "-o", feed);
        var version = Path.GetFileNameWithoutExtension(Directory.GetFiles(feed, "Sandrun.Linux.*.nupkg").Single())["Sandrun.Linux.".Length..];
        Assert.Equal(
            ["Sandrun", "Sandrun.Abstractions", "Sandrun.AspNetCore", "Sandrun.AspNetCore.Mcp", "Sandrun.Broker", "Sandrun.Cli", "Sandrun.Linux", "Sandrun.Pool"],
            Directory.GetFiles(feed, "*.nupkg").Select(f => Path.GetFileName(f)[..^($".{version}.nupkg".Length)]).Order(StringComparer.Ordinal));
        Assert.Equal(8, Directory.GetFiles(feed, "*.snupkg").Length);

        var app = Path.Combine(root, "EmbedApp");
        await DotnetAsync(root, "new", "web", "-o", app, "-n", "EmbedApp", "--no-update-check");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(root, "packages")}" /></config>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="Sandrun" /><package pattern="Sandrun.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders><add key="cache" value="{NuGetCache()}" /></fallbackPackageFolders>
            </configuration>
            """);
        await DotnetAsync(app, "add", "package", "Sandrun.Linux", "--version", version, "--no-restore");
        await DotnetAsync(app, "add", "package", "Sandrun.AspNetCore", "--version", version, "--no-restore");
        var program = Path.Combine(app, "Program.cs");
        File.WriteAllText(program, Paste(File.ReadAllText(program), ReadmeEmbeddingBlock()));
        // Warnings as errors: the pasted block compiles cleanly. No audit: its vulnerability data is online only.
        await DotnetAsync(app, "build", "-c", "Release", "-p:TreatWarningsAsErrors=true", "-p:NuGetAudit=false", "--disable-build-servers");

        var port = FreePort();
        using var server = Start(app, "dotnet", Path.Combine(app, "bin", "Release", "net10.0", "EmbedApp.dll"),
            "--urls", $"http://127.0.0.1:{port}", "--Sandrun:Sandbox:StateDirectory", StateDirectory, "--Sandrun:RateLimits:Enabled", "false");
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitForAsync(client, server);

            // The app's own routes, 404s and CORS.
            Assert.Equal("Hello World!", await client.GetStringAsync("/"));
            using var missing = await client.GetAsync("/no/such/page");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Empty(await missing.Content.ReadAsStringAsync());
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/");
            preflight.Headers.Add("Origin", "https://elsewhere.example.com");
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            using var preflightAnswer = await client.SendAsync(preflight);
            Assert.False(preflightAnswer.Headers.Contains("Access-Control-Allow-Origin"));

            // Sandrun below its prefix, end to end.
            Assert.Equal("healthy", (await client.GetFromJsonAsync<JsonElement>("/sandrun/health")).GetProperty("status").GetString());
            using var form = new MultipartFormDataContent
            {
                { new ByteArrayContent("print('hello from the package')\n"u8.ToArray()), "files", "main.py" },
            };
            using var submitted = await client.PostAsync("/sandrun/submit", form);
            var body = await submitted.Content.ReadAsStringAsync();
            Assert.True(submitted.IsSuccessStatusCode, body);
            var id = JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            JsonElement status;
            do
            {
                await Task.Delay(50);
                status = await client.GetFromJsonAsync<JsonElement>($"/sandrun/status/{id}");
            }
            while (status.GetProperty("status").GetString() is "queued" or "running" && DateTime.UtcNow < deadline);

            Assert.Equal("completed", status.GetProperty("status").GetString());
            Assert.Equal("hello from the package\n", await client.GetStringAsync($"/sandrun/logs/{id}?format=text"));
            using var unknown = await client.GetAsync("/sandrun/no/such/endpoint");
            Assert.Equal("not found", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }
        finally
        {
            await StopAsync(server);
        }

        // A server stopped with SIGTERM unmounts everything it staged (job workspaces never enter the host's mount table).
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => l.Split(' ')[4].StartsWith(StateDirectory + "/", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>The README's one embedding block: what a <c>dotnet new web</c> Program.cs needs, in three parts.</summary>
    internal static string ReadmeEmbeddingBlock()
    {
        var readme = File.ReadAllText(Path.Combine(Repository, "README.md"));
        var section = readme.IndexOf("## Embedding Sandrun in an ASP.NET Core app", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no embedding section");
        var start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        return readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
    }

    /// <summary>
    /// Pastes the block into the template's Program.cs: the lines before <c>// after: var builder …</c> at the top, the
    /// next group after the template's <c>CreateBuilder</c> line, the last after its <c>Build()</c> line.
    /// </summary>
    private static string Paste(string template, string block)
    {
        // The template is written with CRLF line ends.
        template = template.ReplaceLineEndings("\n");
        var parts = block.Split(["// after: var builder = WebApplication.CreateBuilder(args);\n", "// after: var app = builder.Build();\n"], StringSplitOptions.None);
        Assert.Equal(3, parts.Length);
        const string CreateBuilder = "var builder = WebApplication.CreateBuilder(args);\n";
        const string Build = "var app = builder.Build();\n";
        Assert.Contains(CreateBuilder, template, StringComparison.Ordinal);
        Assert.Contains(Build, template, StringComparison.Ordinal);
        return parts[0] + template.Replace(CreateBuilder, CreateBuilder + parts[1], StringComparison.Ordinal).Replace(Build, Build + parts[2], StringComparison.Ordinal);
    }

    private static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sandrun.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Sandrun.sln not found above " + AppContext.BaseDirectory);
    }

    private static string NuGetCache() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task DotnetAsync(string directory, params string[] args)
    {
        using var process = Start(directory, "dotnet", args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed ({process.ExitCode}):\n{process.Output}");
    }

    /// <summary>A child process outside the test host's MSBuild and test-platform environment, its output collected.</summary>
    private static ChildProcess Start(string directory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return new ChildProcess(Process.Start(info)!);
    }

    private static async Task WaitForAsync(HttpClient client, ChildProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(server.HasExited, "the app exited:\n" + server.Output);
            try
            {
                using var response = await client.GetAsync("/");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGTERM, as a service manager stops it: the app deletes its jobs and unmounts their workspaces on the way out.</summary>
    private static async Task StopAsync(ChildProcess server)
    {
        if (!server.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await server.WaitForExitAsync(timeout.Token);
    }

    /// <summary>A started process whose stdout and stderr are read as they come (a full pipe would stall it).</summary>
    private sealed class ChildProcess : IDisposable
    {
        private readonly Process process;

        private readonly StringBuilder output = new();

        public ChildProcess(Process process)
        {
            this.process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Id => process.Id;

        public bool HasExited => process.HasExited;

        public int ExitCode => process.ExitCode;

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public Task WaitForExitAsync(CancellationToken cancellationToken) => process.WaitForExitAsync(cancellationToken);

        public void Dispose() => process.Dispose();

        private void Append(string? line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
