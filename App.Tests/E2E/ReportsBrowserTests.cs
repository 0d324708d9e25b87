using System.Globalization;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>The migration view and the dashboard read report snapshots: figures with an "as of" time, and Refresh.</summary>
public class ReportsBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private async Task AddLegacyUserAsync(string email)
    {
        await server.QueryAsync(async db =>
        {
            var site = await db.Sites.OrderBy(s => s.Name).FirstAsync(s => s.Customer!.Slug == "contoso");
            db.Users.Add(new User
            {
                CustomerId = site.CustomerId, SiteId = site.Id, Email = email, DisplayName = "Report Probe",
                PasswordHash = "$2a$12$legacy", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, Version = 1,
            });
            return await db.SaveChangesAsync();
        });
    }

    private static async Task WaitUntilSettledAsync(IPage page)
    {
        await Expect(page.GetByTestId("report-as-of")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"As of \d\d:\d\d UTC([+-]\d{1,2}(:\d\d)?)? \((just now|\d+ min ago)\)"), new() { Timeout = 20_000 });
        await Expect(page.GetByTestId("report-refreshing")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
    }

    [Fact]
    public async Task MigrationView_ShowsFiguresAsOf_AndRefreshShowsANewUser()
    {
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync(server.BaseUrl + "/users/migration");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await WaitUntilSettledAsync(page);
        string siteId = await server.QueryAsync(db => db.Sites.OrderBy(s => s.Name).Where(s => s.Customer!.Slug == "contoso").Select(s => s.Id).FirstAsync())
            .ContinueWith(t => t.Result.ToString(CultureInfo.InvariantCulture));
        var legacy = page.Locator($"tr[data-site='{siteId}'] [data-bucket=LegacyOnly]");
        int before = int.Parse((await legacy.InnerTextAsync()).Trim(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        await Expect(page.Locator(".mud-chart svg").First).ToBeVisibleAsync();

        await AddLegacyUserAsync("report.probe.migration@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();

        await Expect(legacy).ToHaveTextAsync((before + 1).ToString(CultureInfo.InvariantCulture), new() { Timeout = 20_000 });
        await WaitUntilSettledAsync(page);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Dashboard_ShowsFiguresAsOf_AndRefreshShowsANewUser()
    {
        var page = await server.SignInAsync("Platform admin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        await WaitUntilSettledAsync(page);
        int users = await server.QueryAsync(db => db.Users.CountAsync());
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync(users.ToString("N0", CultureInfo.InvariantCulture));

        await AddLegacyUserAsync("report.probe.dashboard@contoso.example");
        var refresh = page.GetByRole(AriaRole.Button, new() { Name = "Refresh" });
        await refresh.ClickAsync();

        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync((users + 1).ToString("N0", CultureInfo.InvariantCulture), new() { Timeout = 20_000 });
        await WaitUntilSettledAsync(page);
        await Expect(refresh).ToBeEnabledAsync();
        await page.CloseAsync();
    }
}
