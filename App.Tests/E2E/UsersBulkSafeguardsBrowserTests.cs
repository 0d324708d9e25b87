using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Careless clicks in the browser: a bulk Lock over everything says, before it runs, whom it leaves alone and why,
/// and then leaves exactly them alone. A portal of its own: the run locks nearly everybody.
/// </summary>
public class UsersBulkSafeguardsBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task BulkLock_AllMatchingAsPlatformAdmin_PreviewNamesSelfAndLastAdmins_AndRunSkipsThem()
    {
        var admins = await server.QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.PlatformAdmin || u.PortalRole == PortalRole.CustomerAdmin)
            .Select(u => new { u.Id, u.DisplayName, u.Email, u.PortalRole, Customer = u.Customer!.Name }).ToListAsync());
        var me = admins.Single(a => a.PortalRole == PortalRole.PlatformAdmin);
        // "All matching the filter" needs a filter (an unfiltered grid offers no such scope): every person linked to the
        // development provider, which every admin is.
        long development = await server.QueryAsync(db => db.CiamSystems.Where(c => c.Name == "Development sign-in").Select(c => c.Id).SingleAsync());
        var page = await server.SignInAsync("Platform admin");
        await page.GotoAsync(server.BaseUrl + $"/users?provider={development}");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("user-total")).ToBeVisibleAsync();

        // The bulk action is the browser's own select (FilterSelect): choose it by its visible text.
        await page.GetByLabel("Bulk action", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Lock" });
        await page.GetByRole(AriaRole.Radio, new() { Name = "All matching the filter" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();

        var excluded = page.GetByTestId("bulk-excluded");
        await Expect(excluded).ToContainTextAsync($"Left alone ({admins.Count}):");
        await Expect(excluded.GetByRole(AriaRole.Listitem).Filter(new() { HasText = me.Email }))
            .ToHaveTextAsync($"{me.DisplayName} ({me.Email}): You (the signed-in user) — you cannot lock yourself");
        foreach (var customerAdmin in admins.Where(a => a.PortalRole == PortalRole.CustomerAdmin))
        {
            await Expect(excluded.GetByRole(AriaRole.Listitem).Filter(new() { HasText = customerAdmin.Email }))
                .ToHaveTextAsync($"{customerAdmin.DisplayName} ({customerAdmin.Email}): Last active admin of {customerAdmin.Customer}");
        }

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("users-bulk-lock-excluded.png"), FullPage = true });
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Left alone:", new() { Exact = false }).First).ToBeVisibleAsync(new() { Timeout = 15_000 });

        // The actor is still signed in and on the page, and exactly the named people are still unlocked.
        Assert.DoesNotContain("/signin", page.Url, StringComparison.Ordinal);
        var unlocked = await server.QueryAsync(db => db.Users.Where(u => !u.IsLocked && db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystemId == development)).Select(u => u.Id).ToListAsync());
        Assert.Equal(admins.Select(a => a.Id).Order(), unlocked.Order());
        await page.CloseAsync();
    }
}
