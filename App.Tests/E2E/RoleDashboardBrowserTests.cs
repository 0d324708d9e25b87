using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Each role's dashboard in Chromium: a figure is a link, and following it lands on the grid filtered to what it counted.</summary>
public class RoleDashboardBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Dashboard_Editor_ScheduledFigureOpensTheScheduledTabWithTheSameCount()
    {
        var page = await server.SignInAsync("Editor · Contoso");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Scheduled" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Recently published" })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveCountAsync(0);
        var figure = page.Locator("[data-stat=Scheduled]");
        await Expect(figure).ToHaveTextAsync(new Regex(@"^\d+$"));
        string count = (await figure.TextContentAsync())!.Trim();

        await page.Locator("a[data-stat-link=Scheduled]").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex(@"/posts\?tab=Scheduled&sort=Published&dir=asc$"));
        await Expect(page.Locator("[data-tab=Scheduled]")).ToHaveAttributeAsync("aria-current", "page");
        await Expect(page.GetByTestId("post-total")).ToHaveTextAsync(new Regex($@"^{count} posts?$"));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Dashboard_Support_FailedSyncsFigureOpensTheUsersGridFilteredToFailed()
    {
        var page = await server.SignInAsync("Support · Contoso");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Recent sign-ins" })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveCountAsync(0);
        var figure = page.Locator("[data-stat='Failed syncs']");
        await Expect(figure).ToHaveTextAsync(new Regex(@"^[1-9]\d*$"));
        string count = (await figure.TextContentAsync())!.Trim();

        await page.GetByRole(AriaRole.Link, new() { Name = "Failed syncs" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex(@"/users\?sync=Failed$"));
        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync(new Regex($@"^{count} users?$"));
        var rows = page.Locator("tr[data-user-id]");
        await Expect(rows).ToHaveCountAsync(int.Parse(count));
        foreach (var row in await rows.AllAsync())
        {
            await Expect(row).ToContainTextAsync("Failed");
        }

        await page.CloseAsync();
    }
}
