using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sandrun.Abstractions;
using Sandrun.AspNetCore.Ui;
using Sandrun.Linux;

namespace Sandrun.AspNetCore.Tests;

/// <summary>A real Sandrun server on 127.0.0.1 with a random port, backed by the real Linux sandbox.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private readonly RecordingWorkspaces workspaces;

    private TestServer(WebApplication app, Uri baseAddress)
    {
        this.app = app;
        workspaces = (RecordingWorkspaces)app.Services.GetRequiredService<IWorkspaceProvider>();
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public HttpClient Client { get; }

    public Uri BaseAddress => Client.BaseAddress!;

    public IServiceProvider Services => app.Services;

    /// <summary>The host path a job's workspace has (or had).</summary>
    public string WorkspaceOf(string jobId) => workspaces.Paths[jobId];

    /// <summary>The host paths of every workspace this server created.</summary>
    public IEnumerable<string> Workspaces => workspaces.Paths.Values;

    /// <summary>Whether the job's workspace tmpfs is still mounted (workspaces are not in the host's mount table, see <see cref="Linux.Workspace.TmpfsWorkspaceProvider"/>).</summary>
    public bool IsMounted(string jobId) => Directory.Exists(WorkspaceOf(jobId));

    public static async Task<TestServer> StartAsync(Action<SandrunOptions>? configure = null, string stateDirectory = "/run/sandrun-http-tests",
        Action<IServiceCollection>? services = null)
    {
        var (app, address) = await LocalHttpServer.StartAsync(
            app =>
            {
                app.UseWebSockets();
                app.UseCors();
                var sandrun = app.MapSandrun();
                sandrun.MapSandrunUi();
                if (app.Services.GetService<SandrunMcpMarker>() is not null)
                {
                    sandrun.MapSandrunMcp();
                }
            },
            s =>
            {
                s.AddSandrun(o =>
                {
                    o.Workers = 2;
                    o.RateLimits.Enabled = false;
                    configure?.Invoke(o);
                });
                s.AddLinuxSandbox(o => o.StateDirectory = stateDirectory);
                s.AddSingleton<Linux.Workspace.TmpfsWorkspaceProvider>();
                s.AddSingleton<IWorkspaceProvider>(sp => new RecordingWorkspaces(sp.GetRequiredService<Linux.Workspace.TmpfsWorkspaceProvider>()));
                s.AddSandrunApi();
                services?.Invoke(s);
            });
        return new TestServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();

        // Nothing may outlive the server: every job workspace it made is gone, and none ever entered the host's mount table.
        Assert.All(workspaces.Paths, w => Assert.False(Directory.Exists(w.Value), $"the workspace of {w.Key} outlived the server"));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo"), l => workspaces.Paths.Keys.Any(id => l.Contains(id, StringComparison.Ordinal)));
    }

    /// <summary>POST /submit with the given files (name → content) as one tar.gz, or as plain parts.</summary>
    public Task<HttpResponseMessage> SubmitAsync(IDictionary<string, string> files, string? manifest, bool asTarball = true)
    {
        var form = new MultipartFormDataContent();
        if (asTarball)
        {
            form.Add(new ByteArrayContent(TarGz(files.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)))), "files", "job.tar.gz");
        }
        else
        {
            foreach (var (name, content) in files)
            {
                form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "files", name);
            }
        }

        if (manifest is not null)
        {
            form.Add(new StringContent(manifest), "manifest");
        }

        return Client.PostAsync("/submit", form);
    }

    public async Task<string> SubmitOkAsync(IDictionary<string, string> files, string? manifest)
    {
        using var response = await SubmitAsync(files, manifest);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("job_id").GetString()!;
    }

    /// <summary>Submits, waits for the job to end, asserts it completed; returns its output as text.</summary>
    public async Task<string> RunToCompletionAsync(IDictionary<string, string> files, string manifest)
    {
        var id = await SubmitOkAsync(files, manifest);
        var status = await WaitForStatusAsync(id, "completed", "failed");
        var logs = await Client.GetStringAsync($"/logs/{id}?format=text");
        Assert.True(status.GetProperty("status").GetString() == "completed", logs);
        return logs;
    }

    public async Task<JsonElement> WaitForStatusAsync(string jobId, params string[] statuses)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var status = await Client.GetFromJsonAsync<JsonElement>($"/status/{jobId}");
            if (statuses.Contains(status.GetProperty("status").GetString()) || DateTime.UtcNow > deadline)
            {
                return status;
            }

            await Task.Delay(20);
        }
    }

    public static byte[] TarGz(IDictionary<string, byte[]> files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(content),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                });
            }
        }

        return output.ToArray();
    }
}
