using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// The real portal on a real socket (Kestrel on a free loopback port), on its embedded default: a fresh SQLite file,
/// migrated and seeded at start-up exactly as <c>dotnet run</c> does. Plus a headless Debian Chromium to drive it.
/// </summary>
public sealed class PortalServer : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("adminportal-e2e-").FullName;
    private IPlaywright? playwright;

    public PortalServer()
    {
        UseKestrel(0);
    }

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>More settings for this host (identity providers from configuration, say), set before it starts.</summary>
    public Dictionary<string, string?> ExtraSettings { get; init; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
        builder.UseSetting("urls", "http://127.0.0.1:0");
        // Revalidate circuits every 2 s, so that a revocation test does not wait the default 30 s.
        builder.UseSetting("Auth:RevalidationInterval", "00:00:02");
        builder.UseSetting("Sync:Interval", "00:00:01");
        // Bulk actions are durable jobs (Features/Jobs): an idle worker looks for one four times a second, not every 2 s.
        builder.UseSetting("Jobs:PollInterval", "00:00:00.250");
        // Tests change data and read the dashboard right after: every report view recomputes in the background.
        builder.UseSetting("Reports:MaxAge", "00:00:00");
        builder.UseSetting("Reports:MinRefreshInterval", "00:00:00");
        // The browser tests share one address and, in places, one user over many requests (the hostile query-string
        // fuzz exports hundreds of CSVs); the rate limits themselves are tested on a host of their own (RateLimitTests).
        builder.UseSetting("RateLimits:Exports:PermitLimit", "100000");
        builder.UseSetting("RateLimits:SignIn:PermitLimit", "100000");
        builder.UseSetting("RateLimits:Health:PermitLimit", "100000");
        // Warnings and errors only: the OIDC handlers' information logs would bury the test results.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
        foreach (var (key, value) in ExtraSettings)
        {
            builder.UseSetting(key, value);
        }
    }

    public async Task InitializeAsync()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1").TrimEnd('/');
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public string DatabaseFile => Path.Combine(folder, "portal.db");

    /// <summary>Reads (or changes) the running portal's database directly, in the platform's scope.</summary>
    public async Task<T> QueryAsync<T>(Func<App.Data.PortalDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<App.Tenancy.TenantContext>().Use(App.Tenancy.TenantScope.System("test"));
        await using var db = await scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<App.Data.PortalDbContext>>().CreateDbContextAsync();
        return await query(db);
    }

    /// <summary>
    /// Signs in through the sign-in page, the chosen provider and the development provider's login page, as a person
    /// would, and waits for the interactive dashboard.
    /// </summary>
    public async Task<IPage> SignInAsync(string personaText, string provider = "Development sign-in (OpenID Connect)", int width = 1280, int height = 900)
    {
        var page = await Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        // Page loads get 90 s: a loaded 2-core machine has taken over 30 s for one. The tests' own assertions keep
        // their short timeouts; only what stands between a test and its subject waits longer.
        page.SetDefaultNavigationTimeout(90_000);
        await page.GotoAsync(BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = provider }).ClickAsync(new() { Timeout = 90_000 });
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = personaText }).First.ClickAsync(new() { Timeout = 90_000 });
        // Clicks on prerendered markup are lost: wait for the circuit.
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 90_000 });
        return page;
    }

    /// <summary>Where the run's screenshots go: TestResults/screenshots in the repository.</summary>
    public static string ScreenshotPath(string name)
    {
        string screenshots = Path.Combine(Infrastructure.RepositoryRoot.Path, "TestResults", "screenshots");
        Directory.CreateDirectory(screenshots);
        return Path.Combine(screenshots, name);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        await base.DisposeAsync();
        TempFolder.Delete(folder);
    }
}
