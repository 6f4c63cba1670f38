using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sandrun.Abstractions;
using Sandrun.Linux;

namespace Sandrun.AspNetCore.Tests;

/// <summary>Bad configuration and unusable hosts stop the start with the fix; once started, /health tells the truth and errors stay JSON.</summary>
public sealed class StartupTests
{
    private const string StateDirectory = "/run/sandrun-http-startup";

    [Fact]
    public async Task Bad_configuration_stops_the_start_naming_each_key_and_its_value()
    {
        var configuration = Configuration(new()
        {
            ["Sandrun:QueueCapacity"] = "0",
            ["Sandrun:Limits:MaxMemoryMb"] = "8",
            ["Sandrun:Limits:DefaultCpuSeconds"] = "90",
            ["Sandrun:Retention:AfterCompletion"] = "-00:00:01",
            ["Sandrun:RateLimits:TrustedProxies:0"] = "proxy.example.com",
            ["Sandrun:Sandbox:SetupTimeout"] = "00:00:00",
        });
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(configuration));
        var messages = Messages(error);
        Assert.Contains("Sandrun:QueueCapacity must be ≥ 1 (was 0)", messages, StringComparison.Ordinal);
        Assert.Contains("Sandrun:Limits:MaxMemoryMb must be ≥ 16 (was 8)", messages, StringComparison.Ordinal);
        Assert.Contains("Sandrun:Limits:DefaultCpuSeconds must be ≤ Sandrun:Limits:MaxCpuSeconds (60) (was 90)", messages, StringComparison.Ordinal);
        Assert.Contains("Sandrun:Retention:AfterCompletion must be a positive time span", messages, StringComparison.Ordinal);
        Assert.Contains("Sandrun:RateLimits:TrustedProxies:0 must be an IP address (was 'proxy.example.com')", messages, StringComparison.Ordinal);
        Assert.Contains("Sandrun:Sandbox:SetupTimeout must be a positive time span", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configuration_reaches_the_sandbox_and_the_service_information()
    {
        var (app, url) = await StartAsync(Configuration(new()
        {
            ["Sandrun:Sandbox:Network"] = "PerJobNamespace",
            ["Sandrun:Retention:AfterFailure"] = "00:01:30",
            ["Sandrun:Retention:AfterCompletion"] = "02:00:00",
        }));
        await using (app)
        {
            Assert.Equal(NetworkIsolation.PerJobNamespace, app.Services.GetRequiredService<IOptions<LinuxSandboxOptions>>().Value.Network);
            Assert.Contains("network fresh namespace per job (created by the clone)", app.Services.GetRequiredService<LinuxSandbox>().Describe(), StringComparison.Ordinal);
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            var privacy = (await client.GetFromJsonAsync<JsonElement>("/")).GetProperty("privacy").GetString();
            Assert.Contains("deleted after download, 90 seconds after a failure or 2 hours after completion", privacy, StringComparison.Ordinal);
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task A_host_without_usable_cgroups_does_not_start_and_says_why()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(Configuration(new()
        {
            ["Sandrun:Sandbox:Cgroups"] = "V1",
            ["Sandrun:Sandbox:CgroupV1Root"] = "/nonexistent/cgroup",
        })));
        Assert.Contains("cannot run jobs on this host", error.Message, StringComparison.Ordinal);
        Assert.Contains("no usable cgroup controllers", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sandrun:Sandbox:CgroupV1Root", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_without_a_sandbox_does_not_start_and_says_which_to_register()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Development });
        builder.Services.AddSandrun();
        var error = Assert.Throws<InvalidOperationException>(() => builder.Build().StartAsync().GetAwaiter().GetResult());
        Assert.Contains("UseLinuxSandbox", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Health_reports_a_sandbox_that_became_unusable_and_unexpected_failures_are_JSON_500s()
    {
        var sandbox = new BreakableSandbox();
        var (app, url) = await LocalHttpServer.StartAsync(
            app =>
            {
                app.UseCors();
                app.MapSandrun();
            },
            s =>
            {
                s.AddSandrun();
                s.AddSingleton<ISandbox>(sandbox);
                s.AddSingleton<IWorkspaceProvider, NoWorkspaces>();
                s.AddSandrunApi();
            });
        await using (app)
        {
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            Assert.Equal("healthy", (await client.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString());

            sandbox.Broken = "the cgroup hierarchy was unmounted";
            using var health = await client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            var body = await health.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("unhealthy", body.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, body.GetProperty("worker_id").ValueKind);
            Assert.Contains("the cgroup hierarchy was unmounted", body.GetProperty("details").GetString(), StringComparison.Ordinal);

            using var form = new MultipartFormDataContent { { new ByteArrayContent("print(1)"u8.ToArray()), "files", "main.py" } };
            using var submit = await client.PostAsync("/submit", form);
            Assert.Equal(HttpStatusCode.InternalServerError, submit.StatusCode);
            Assert.Equal("internal error", (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
            await app.StopAsync();
        }
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Sandrun:Sandbox:StateDirectory"] = StateDirectory }.Concat(settings)).Build();

    /// <summary>Sandrun wired from configuration the way the README says.</summary>
    private static Task<(WebApplication App, string Url)> StartAsync(IConfiguration configuration) =>
        LocalHttpServer.StartAsync(
            app =>
            {
                app.UseCors();
                app.MapSandrun();
            },
            s =>
            {
                s.AddSandrun(configuration).UseLinuxSandbox(configuration);
                s.AddSandrunApi(configuration);
            });

    private static string Messages(Exception error) => error switch
    {
        AggregateException aggregate => string.Join("\n", aggregate.InnerExceptions.Select(Messages)),
        _ => error.Message + (error.InnerException is { } inner ? "\n" + Messages(inner) : ""),
    };

    /// <summary>A sandbox that sets up fine and later becomes unusable (say, its cgroups are removed under it).</summary>
    private sealed class BreakableSandbox : ISandbox
    {
        public string? Broken { get; set; }

        public void EnsureReady()
        {
            if (Broken is { } reason)
            {
                throw new SandboxUnavailableException(reason);
            }
        }

        public bool CanRun(string program) => program == "python3";

        public Task<SandboxResult> RunAsync(SandboxSpec spec, ISandboxOutputSink output, CancellationToken cancellationToken = default) =>
            throw new SandboxUnavailableException(Broken ?? "not for running jobs");
    }

    /// <summary>Workspaces that cannot be made: the engine meets a failure it has no answer for.</summary>
    private sealed class NoWorkspaces : IWorkspaceProvider
    {
        public IWorkspace Create(string jobId, long sizeBytes) => throw new InvalidOperationException("workspace storage is gone");
    }
}
