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
}
