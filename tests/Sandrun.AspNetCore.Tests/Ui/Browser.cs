using Microsoft.Playwright;

namespace Sandrun.AspNetCore.Tests.Ui;

/// <summary>
/// Debian's chromium driven by Playwright (browsers cannot be downloaded here, so ExecutablePath), shared by a test
/// class. The flags keep it from reaching for Google's services, which this machine's closed network refuses.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? playwright;

    public IBrowser Instance { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium package (.ci/run does)");
        playwright = await Playwright.CreateAsync();
        Instance = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Instance is not null)
        {
            await Instance.DisposeAsync();
        }

        playwright?.Dispose();
    }

    /// <summary>A fresh page (own context: no shared cookies or storage) at the UI of <paramref name="server"/>.</summary>
    public async Task<IPage> OpenAsync(TestServer server)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var page = await context.NewPageAsync();
        var failures = new List<string>();
        page.Console += (_, message) =>
        {
            // Script errors and CSP refusals fail the test; a 404 is how the page learns a server has no /runtimes.
            if (message.Type == "error" && !message.Text.Contains("status of 404", StringComparison.Ordinal))
            {
                failures.Add(message.Text);
            }
        };
        await page.GotoAsync(new Uri(server.BaseAddress, "/ui/").ToString());
        // The languages come from /runtimes, which waits for the start-up probe of every interpreter: slow on a busy machine.
        await Assertions.Expect(page.GetByLabel("Language")).Not.ToHaveValueAsync("", new() { Timeout = 60_000 });
        Assert.Empty(failures);
        return page;
    }
}
