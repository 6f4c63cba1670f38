using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Sandrun.Abstractions;
using Sandrun.Receipts;

namespace Sandrun.AspNetCore.Tests.Ui;

/// <summary>The web UI (SPEC.md §10) in a real browser against a real server and real sandboxes.</summary>
public sealed class UiTests(Browser browser) : IClassFixture<Browser>, IDisposable
{
    private const string StateDirectory = "/run/sandrun-http-ui";

    private readonly string work = Directory.CreateTempSubdirectory("sandrun-ui-").FullName;

    public void Dispose() => Directory.Delete(work, recursive: true);

    [Fact]
    public async Task Output_appears_while_the_job_is_still_running()
    {
        await using var server = await TestServer.StartAsync(stateDirectory: StateDirectory);
        var page = await browser.OpenAsync(server);
        await RunAsync(page, "import time\nprint('first', flush=True)\ntime.sleep(4)\nprint('second', flush=True)\n");

        var output = Output(page);
        await Assertions.Expect(output).ToContainTextAsync("first");
        var stats = JsonDocument.Parse(await server.Client.GetStringAsync("/stats")).RootElement;
        Assert.Equal(1, stats.GetProperty("system").GetProperty("active_jobs").GetInt32());
        Assert.DoesNotContain("second", await output.TextContentAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("running");

        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
        await Assertions.Expect(output).ToHaveTextAsync("first\nsecond\n");
    }

    [Fact]
    public async Task A_folder_with_a_binary_file_round_trips_with_a_matching_sha256()
    {
        await using var server = await TestServer.StartAsync(stateDirectory: StateDirectory);
        var folder = Directory.CreateDirectory(Path.Combine(work, "project")).FullName;
        var data = RandomNumberGenerator.GetBytes(64 * 1024);
        data[0] = 0;
        data[1] = 0x1f;
        data[2] = 0x8b;
        Directory.CreateDirectory(Path.Combine(folder, "in"));
        File.WriteAllBytes(Path.Combine(folder, "in", "data.bin"), data);
        File.WriteAllText(Path.Combine(folder, "main.py"), "import shutil\nshutil.copy('in/data.bin', 'out.bin')\nprint('copied')\n");

        var page = await browser.OpenAsync(server);
        await page.GetByLabel("Code", new() { Exact = true }).FillAsync("");
        await page.GetByLabel("Add a folder").SetInputFilesAsync(folder);
        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "Files to upload" })).ToContainTextAsync("in/data.bin");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
        await Assertions.Expect(Output(page)).ToHaveTextAsync("copied\n");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "out.bin" }).ClickAsync());
        var saved = Path.Combine(work, "out.bin");
        await download.SaveAsAsync(saved);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(saved))));
        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "Outputs" })).ToContainTextAsync(Convert.ToHexStringLower(SHA256.HashData(data))[..16]);

        // "Download all" deletes the job, so it asks first; declining downloads nothing.
        var asked = 0;
        page.Dialog += async (_, dialog) =>
        {
            asked++;
            await dialog.DismissAsync();
        };
        await page.GetByRole(AriaRole.Button, new() { Name = "Download all (deletes the job)" }).ClickAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("completed");
        Assert.Equal(1, asked);
        Assert.True((await server.Client.GetAsync($"/status/{await page.Locator("#job-id").TextContentAsync()}")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Markup_printed_by_a_job_appears_literally_and_never_runs()
    {
        const string Attack = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script><b>bold</b>";
        await using var server = await TestServer.StartAsync(stateDirectory: StateDirectory);
        var page = await browser.OpenAsync(server);
        await RunAsync(page, $"import sys\nprint({JsonSerializer.Serialize(Attack)})\nprint({JsonSerializer.Serialize(Attack)}, file=sys.stderr)\n");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });

        var output = Output(page);
        Assert.Equal($"{Attack}\n{Attack}\n", await output.TextContentAsync());
        Assert.Equal(0, await output.Locator("img, script, b").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
    }

    [Fact]
    public async Task A_refused_manifest_is_shown_naming_the_field()
    {
        await using var server = await TestServer.StartAsync(stateDirectory: StateDirectory);
        var page = await browser.OpenAsync(server);
        await page.GetByText("Options").ClickAsync();
        await page.GetByLabel("Memory (MiB)").FillAsync("8");
        await RunAsync(page, "print(1)\n");
        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync("400");
        await Assertions.Expect(alert).ToContainTextAsync("memory_mb");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Run" })).ToBeEnabledAsync();
    }

    [Fact]
    public async Task A_quota_refusal_is_a_countdown_from_Retry_After()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.RateLimits.Enabled = true;
            o.RateLimits.MaxJobsPerHour = 1;
        }, StateDirectory);
        var page = await browser.OpenAsync(server);
        await RunAsync(page, "print(1)\n");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });

        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
        var alert = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(alert).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"you can run again in \d+ s"));
        var first = await alert.TextContentAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Run" })).ToBeDisabledAsync();
        await Assertions.Expect(alert).Not.ToHaveTextAsync(first!, new() { Timeout = 5_000 });
    }

    [Fact]
    public async Task The_receipt_verifies_in_the_browser_and_a_forged_status_does_not()
    {
        using var signer = Ed25519Signer.Generate();
        await using var server = await TestServer.StartAsync(stateDirectory: StateDirectory, services: s => s.AddSingleton<IResultSigner>(signer));
        var page = await browser.OpenAsync(server);
        await RunAsync(page, "import sys\nopen('result.txt', 'w').write('42\\n')\nprint('done')\nsys.exit(3)\n");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("failed (exit_code)", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#receipt-state")).ToContainTextAsync($"Verified: signed by worker {signer.WorkerId} at ");
        await Assertions.Expect(page.Locator("#exit")).ToHaveTextAsync("3");

        var screenshot = Path.Combine(AppContext.BaseDirectory, "artifacts", "ui-finished-job.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        var png = File.ReadAllBytes(screenshot);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(png.Length > 20_000, $"the screenshot is suspiciously small ({png.Length} bytes)");

        // A server (or proxy) that reports exit 0 for this job while passing on its genuine receipt is caught.
        await page.RouteAsync("**/status/**", async route =>
        {
            var response = await route.FetchAsync();
            var forged = JsonNode.Parse(await response.TextAsync())!.AsObject();
            forged["status"] = "completed";
            forged["failure_reason"] = null;
            forged["execution_metadata"]!["exit_code"] = 0;
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Body = forged.ToJsonString() });
        });
        await RunAsync(page, "import sys\nsys.exit(3)\n");
        await Assertions.Expect(page.Locator("#receipt-state")).ToContainTextAsync("differs from the receipt in: status, exit_code, failure_reason", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#receipt-state")).ToHaveClassAsync("unverified");
    }

    private static ILocator Output(IPage page) => page.GetByRole(AriaRole.Log, new() { Name = "Output" });

    private static async Task RunAsync(IPage page, string code)
    {
        await page.GetByLabel("Language").SelectOptionAsync("python3");
        await page.GetByLabel("Code", new() { Exact = true }).FillAsync(code);
        await page.GetByRole(AriaRole.Button, new() { Name = "Run" }).ClickAsync();
    }
}
