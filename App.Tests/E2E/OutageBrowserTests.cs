using System.Diagnostics;
using System.Net;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// A real outage: the portal on a PostgreSQL cluster of the test's own, which the test stops (as a crash would) and
/// starts again while people are signed in. Never the shared cluster: other tests use it at the same time.
/// </summary>
public sealed class OutageBrowserTests(ITestOutputHelper output)
{
    /// <summary>Longer than the interactive retry budget (5 s), the session revalidation (2 s here) and the access cache (15 s).</summary>
    private static readonly TimeSpan OutageLength = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Outage_WhileEditingAndBrowsing_ShowsTheBannerWithinSeconds_KeepsSessionsAndText_AndSavesWhenBack()
    {
        await using var cluster = await StoppablePostgres.StartAsync();
        await using var portal = new PostgresPortal(await cluster.CreateDatabaseAsync());
        await portal.StartAsync();
        var timeline = new List<string>();

        // An editor with a draft open and typed text, saved before the outage.
        long editorSite = await portal.QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.Editor && u.Customer!.Slug == "contoso").Select(u => u.SiteId).FirstAsync());
        long draft = await portal.QueryAsync(db => db.Posts.Where(p => p.Status == PostStatus.Draft && p.SiteId == editorSite && p.DeletedAt == null)
            .OrderBy(p => p.Id).Select(p => p.Id).FirstAsync());
        var editor = await portal.SignInAsync("Editor · Contoso");
        await editor.GotoAsync($"{portal.BaseUrl}/posts/{draft}");
        await editor.Locator("[data-interactive=true]").WaitForAsync();
        var content = editor.GetByLabel("Content (Markdown)");
        await content.FillAsync("Written before the outage.");
        await Expect(content).ToHaveValueAsync("Written before the outage.");
        // Autosaved before the outage: wait until the database holds it (two seconds after the last keystroke).
        for (int wait = 0; wait < 120 && await portal.QueryAsync(db => db.Posts.Where(p => p.Id == draft).Select(p => p.Content).SingleAsync()) != "Written before the outage."; wait++)
        {
            await Task.Delay(250);
        }

        Assert.Equal("Written before the outage.", await portal.QueryAsync(db => db.Posts.Where(p => p.Id == draft).Select(p => p.Content).SingleAsync()));

        // An admin on the users grid, in another browser context (their own cookies).
        var admin = await portal.SignInAsync("Platform admin");
        await admin.GotoAsync(portal.BaseUrl + "/users");
        await admin.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync();

        try
        {
            await RunOutageAsync(cluster, portal, editor, admin, content, draft, timeline);
        }
        finally
        {
            WriteTimeline("outage-browser", timeline);
        }
    }

    private static async Task RunOutageAsync(StoppablePostgres cluster, PostgresPortal portal, IPage editor, IPage admin, ILocator content, long draft, List<string> timeline)
    {
        var clock = Stopwatch.StartNew();
        await cluster.StopAsync();
        var stopped = clock.Elapsed;
        timeline.Add($"cluster stopped (pg_ctl -m immediate) after {stopped.TotalSeconds:0.00} s");
        string typedDuringOutage = "Written during the outage " + Guid.NewGuid().ToString("N")[..8] + ".";
        await content.FillAsync(typedDuringOutage);

        // Ours: the banner, within seconds, on both pages, without anyone reloading.
        var editorBanner = editor.GetByRole(AriaRole.Status).Filter(new() { HasText = "Database unavailable — retrying…" });
        var adminBanner = admin.GetByRole(AriaRole.Status).Filter(new() { HasText = "Database unavailable — retrying…" });
        await Expect(editorBanner).ToBeVisibleAsync(new() { Timeout = 10_000 });
        timeline.Add($"banner on the editor's page {(clock.Elapsed - stopped).TotalSeconds:0.00} s after the stop");
        await Expect(adminBanner).ToBeVisibleAsync(new() { Timeout = 10_000 });
        timeline.Add($"banner on the admin's users grid {(clock.Elapsed - stopped).TotalSeconds:0.00} s after the stop");
        Assert.True(clock.Elapsed - stopped < TimeSpan.FromSeconds(10), "The 'Database unavailable' banner took longer than 10 s to appear.");

        var remaining = OutageLength - (clock.Elapsed - stopped);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }

        timeline.Add($"kept down {(clock.Elapsed - stopped).TotalSeconds:0.00} s");
        await editor.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("outage-editor.png") });
        await admin.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("outage-users.png") });

        // Depends on the sessions fix (hardening-sessions): a transient database error never ends a session.
        Assert.False(editor.Url.Contains("/signin", StringComparison.Ordinal), $"[sessions] The editor was signed out by the outage: {editor.Url}");
        Assert.False(admin.Url.Contains("/signin", StringComparison.Ordinal), $"[sessions] The admin was signed out by the outage: {admin.Url}");
        // Depends on the editor fix (hardening-input): a failed save keeps the typed text.
        Assert.True(await content.CountAsync() == 1 && await content.InputValueAsync() == typedDuringOutage, "[input] The editor lost the text typed during the outage.");
        // Ours: still there while the outage lasts.
        await Expect(adminBanner).ToBeVisibleAsync();
        await Expect(editorBanner).ToBeVisibleAsync();

        var restarting = clock.Elapsed;
        await cluster.StartAgainAsync();
        var started = clock.Elapsed;
        timeline.Add($"cluster started again (pg_ctl start -w took {(started - restarting).TotalSeconds:0.00} s)");

        // Ours: the banner goes by itself.
        await Expect(editorBanner).ToBeHiddenAsync(new() { Timeout = 15_000 });
        await Expect(adminBanner).ToBeHiddenAsync(new() { Timeout = 15_000 });
        timeline.Add($"banner gone {(clock.Elapsed - started).TotalSeconds:0.00} s after the start");

        // Depends on the editor fix (hardening-input): autosave retries, so the outage's text lands once the database is back.
        string? stored = null;
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(30);
        while (clock.Elapsed < deadline)
        {
            stored = await portal.QueryAsync(db => db.Posts.Where(p => p.Id == draft).Select(p => p.Content).SingleAsync());
            if (stored == typedDuringOutage)
            {
                break;
            }

            await Task.Delay(500);
        }

        timeline.Add(stored == typedDuringOutage ? $"editor's text saved {(clock.Elapsed - started).TotalSeconds:0.00} s after the start" : "editor's text not saved within 30 s of the start");
        Assert.True(stored == typedDuringOutage, $"[input] The text typed during the outage was not saved within 30 s of the database's return; the database holds: {stored}");
        Assert.False(editor.Url.Contains("/signin", StringComparison.Ordinal), $"[sessions] The editor was signed out after the outage: {editor.Url}");
    }

    [Fact]
    public async Task Outage_HealthEndpoints_ReadyIsUnhealthyWithinSeconds_LiveStaysUp()
    {
        await using var cluster = await StoppablePostgres.StartAsync();
        await using var portal = new PostgresPortal(await cluster.CreateDatabaseAsync());
        await portal.StartAsync(browser: false);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        var timeline = new List<string>();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(portal.BaseUrl + "/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(portal.BaseUrl + "/health")).StatusCode);

        await cluster.StopAsync();
        var availability = portal.Services.GetRequiredService<DatabaseAvailability>();
        foreach (string path in new[] { "/health/ready", "/health", "/health/live", "/health/ready" })
        {
            var watch = Stopwatch.StartNew();
            var response = await client.GetAsync(portal.BaseUrl + path);
            string body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            timeline.Add($"{path} during the outage: {(int)response.StatusCode} {body} in {watch.Elapsed.TotalMilliseconds:0} ms");
            if (path == "/health/live")
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"/health/live took {watch.Elapsed.TotalMilliseconds:0} ms during the outage.");
            }
            else
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Assert.Equal("Unhealthy", body);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3.5), $"{path} took {watch.Elapsed.TotalMilliseconds:0} ms during the outage; it must answer within ~3 s.");
            }
        }

        // A page's query, long after the outage began, fails fast instead of riding a minute of retries.
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.False(availability.IsAvailable, "The availability monitor did not notice the outage.");
        var query = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<Exception>(() => portal.QueryAsync(db => db.Users.CountAsync()));
        query.Stop();
        timeline.Add($"a query 6 s into the outage failed after {query.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(query.Elapsed < TimeSpan.FromSeconds(3), $"A query during a known outage took {query.Elapsed.TotalMilliseconds:0} ms to fail.");

        await cluster.StartAgainAsync();
        var back = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = (await client.GetAsync(portal.BaseUrl + "/health/ready")).StatusCode;
        }
        while (status != HttpStatusCode.OK && back.Elapsed < TimeSpan.FromSeconds(15));

        timeline.Add($"/health/ready healthy again {back.Elapsed.TotalMilliseconds:0} ms after the start");
        Assert.Equal(HttpStatusCode.OK, status);
        WriteTimeline("outage-health", timeline);
    }

    private void WriteTimeline(string name, List<string> timeline)
    {
        foreach (string line in timeline)
        {
            output.WriteLine(line);
        }

        File.WriteAllLines(PortalServer.ScreenshotPath(name + ".txt"), timeline);
    }

    /// <summary>The portal on a real socket, on PostgreSQL, migrated and seeded at start-up, with the development IdP.</summary>
    private sealed class PostgresPortal(string connectionString) : WebApplicationFactory<Program>
    {
        private IPlaywright? playwright;
        private IBrowser? browser;

        public string BaseUrl { get; private set; } = "";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("Database:Provider", "Postgres");
            builder.UseSetting("ConnectionStrings:Portal", connectionString);
            builder.UseSetting("Database:MigrateOnStartup", "true");
            builder.UseSetting("Database:SeedDemoData", "true");
            builder.UseSetting("Auth:DevIdentityProvider", "true");
            builder.UseSetting("urls", "http://127.0.0.1:0");
            builder.UseSetting("Auth:RevalidationInterval", "00:00:02");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning");
            // A failed query during the outage is expected; its error logs would bury the results.
            builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "None");
        }

        public async Task StartAsync(bool browser = true)
        {
            UseKestrel(0);
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            BaseUrl = addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1").TrimEnd('/');
            if (browser)
            {
                playwright = await Playwright.CreateAsync();
                this.browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
                {
                    ExecutablePath = "/usr/bin/chromium",
                    Headless = true,
                    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
                });
            }
        }

        public async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
        {
            await using var scope = Services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("test"));
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
            return await query(db);
        }

        public async Task<IPage> SignInAsync(string personaText)
        {
            var page = await browser!.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            await page.GotoAsync(BaseUrl + "/");
            await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
            await page.GetByRole(AriaRole.Button).Filter(new() { HasText = personaText }).First.ClickAsync();
            await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            return page;
        }

        public override async ValueTask DisposeAsync()
        {
            if (browser is not null)
            {
                await browser.DisposeAsync();
            }

            playwright?.Dispose();
            await base.DisposeAsync();
        }
    }
}
