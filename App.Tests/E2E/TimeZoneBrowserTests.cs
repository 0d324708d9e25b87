using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Times in the browser's own zone: an editor in Auckland schedules in local time; the database holds UTC.</summary>
public class TimeZoneBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Schedule_InAuckland_StoresUtcAndShowsLocalTime()
    {
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            TimezoneId = "Pacific/Auckland",
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Editor · Contoso" }).First.ClickAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        string title = "Auckland launch " + Guid.NewGuid().ToString("N")[..8];

        await page.GotoAsync(server.BaseUrl + "/posts/new");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await page.GetByLabel("Title", new() { Exact = true }).FillAsync(title);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Draft");

        // 09:30 on 15 January in Auckland is summer time (UTC+13): 20:30 UTC the day before.
        await page.GetByLabel("Publish at (Pacific/Auckland)").FillAsync("2027-01-15T09:30");
        await page.GetByRole(AriaRole.Button, new() { Name = "Schedule" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Scheduled");

        var stored = await server.QueryAsync(db => db.Posts.Where(p => p.Title == title).Select(p => p.PublishedAt).SingleAsync());
        Assert.Equal(new DateTime(2027, 1, 14, 20, 30, 0), stored!.Value);

        await page.GotoAsync(server.BaseUrl + "/posts?tab=Scheduled&q=" + Uri.EscapeDataString(title));
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = title });
        await Expect(row.Locator(".absolute-time").First).ToHaveTextAsync("2027-01-15 09:30 UTC+13");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("local-times-auckland.png") });
        await context.CloseAsync();
    }

    [Fact]
    public async Task ReportAndAudit_InAuckland_ShowLocalTimesAndFilterLocalDays()
    {
        const string actor = "tz-browser@adminportal.example";
        await server.QueryAsync(async db =>
        {
            long contoso = await db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            // Midnight at the start of 2 December 2026 in Auckland (UTC+13) is 11:00 UTC on 1 December.
            foreach (var (at, label) in new[] { (new DateTime(2026, 12, 1, 10, 59, 0), "before"), (new DateTime(2026, 12, 1, 11, 0, 0), "first"),
                         (new DateTime(2026, 12, 2, 10, 59, 0), "last"), (new DateTime(2026, 12, 2, 11, 0, 0), "after") })
            {
                db.AuditLog.Add(new AdminPortal.App.Features.Audit.AuditEntry { At = DateTime.SpecifyKind(at, DateTimeKind.Utc), Actor = actor, CustomerId = contoso, EntityType = "Site", EntityId = 1, EntityLabel = "edge " + label, Action = "updated" });
            }

            return await db.SaveChangesAsync();
        });

        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            TimezoneId = "Pacific/Auckland",
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Customer admin · Contoso" }).First.ClickAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        // The report's "as of" is Auckland's time with its offset, not UTC.
        await page.GotoAsync(server.BaseUrl + "/users/migration");
        var auckland = TimeZoneInfo.FindSystemTimeZoneById("Pacific/Auckland");
        var offset = auckland.GetUtcOffset(DateTime.UtcNow);
        var asOf = page.GetByTestId("report-as-of");
        await Expect(asOf).ToContainTextAsync(new System.Text.RegularExpressions.Regex($@"As of \d\d:\d\d UTC\+{offset.Hours} \("), new() { Timeout = 20_000 });
        var shown = TimeSpan.ParseExact(System.Text.RegularExpressions.Regex.Match(await asOf.InnerTextAsync(), @"\d\d:\d\d").Value, @"hh\:mm", System.Globalization.CultureInfo.InvariantCulture);
        var localNow = TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, auckland).TimeOfDay;
        Assert.True(Math.Abs((localNow - shown).TotalMinutes) is < 10 or > 1430, $"shown {shown}, Auckland now {localNow}");
        await Expect(asOf).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("Pacific/Auckland"));

        // The audit page's days are Auckland's: 2 December holds the entries from 11:00 UTC on the 1st to 10:59 UTC on the 2nd.
        await page.GotoAsync(server.BaseUrl + "/audit?actor=" + Uri.EscapeDataString(actor) + "&from=2026-12-02&to=2026-12-02");
        await Expect(page.GetByLabel("From (Pacific/Auckland)")).ToHaveValueAsync("2026-12-02");
        await Expect(page.GetByLabel("To (Pacific/Auckland, inclusive)")).ToHaveValueAsync("2026-12-02");
        var entities = page.Locator("[data-audit-id] td.audit-entity > :first-child");
        await Expect(entities).ToHaveTextAsync(["edge last", "edge first"]);
        await Expect(page.Locator("[data-audit-id] .absolute-time")).ToHaveTextAsync(["2026-12-02 23:59 UTC+13", "2026-12-02 00:00 UTC+13"]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("audit-local-days-auckland.png"), FullPage = true });

        // A tampered or oversized date in the address is reset with a notice; the page still works.
        await page.GotoAsync(server.BaseUrl + "/audit?actor=" + Uri.EscapeDataString(actor) + "&from=2026-02-30&to=" + new string('9', 4000));
        await Expect(page.GetByText("Some filters in the address were not valid and were reset: from date, to date.")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-audit-id]")).ToHaveCountAsync(4);
        await page.GotoAsync(server.BaseUrl + "/audit?from=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
        await Expect(page.GetByText("Some filters in the address were not valid and were reset: from date.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit log", Level = 1 })).ToBeVisibleAsync();
        await context.CloseAsync();
    }
}
