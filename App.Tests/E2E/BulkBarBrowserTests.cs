using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>The bulk bar's safe defaults in Chromium: nothing to act on shows no bar, nothing is preselected, and a run
/// over a thousand users needs the count typed before anything changes.</summary>
public class BulkBarBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private const int Many = 1_001;

    [Fact]
    public async Task BulkLock_OverAThousandMatching_NeedsNoPreselectionAFilterAndTheTypedCount()
    {
        // 1,001 people of Contoso who share a name part, so one search finds exactly them.
        await server.QueryAsync(async db =>
        {
            var contoso = await db.Customers.SingleAsync(c => c.Slug == "contoso");
            long site = await db.Sites.Where(s => s.CustomerId == contoso.Id).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            var now = DateTime.UtcNow;
            for (int i = 0; i < Many; i++)
            {
                db.Users.Add(new User { Id = TimeOrderedId.Next(), CustomerId = contoso.Id, SiteId = site, Email = $"bulkperson{i}@contoso.example", DisplayName = $"Bulkperson {i:D4}", IsActive = true, CreatedAt = now });
            }

            return await db.SaveChangesAsync();
        });
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync(server.BaseUrl + "/users");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("user-total")).ToBeVisibleAsync();

        // No selection and no filter: no bulk bar, so no "lock everyone" two clicks away.
        await Expect(page.GetByTestId("bulk-bar")).ToHaveCountAsync(0);

        await page.GotoAsync(server.BaseUrl + "/users?q=Bulkperson");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync("1,001 users");
        var bar = page.GetByTestId("bulk-bar");
        await Expect(bar).ToBeVisibleAsync();
        var run = bar.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true });
        await Expect(run).ToBeDisabledAsync();
        await Expect(page.GetByTestId("bulk-hint")).ToHaveTextAsync("Choose an action first.");
        await Expect(bar.GetByRole(AriaRole.Radio, new() { Name = "All matching the filter" })).ToBeCheckedAsync();

        await page.GetByLabel("Bulk action", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Lock" });
        await Expect(page.GetByTestId("bulk-hint")).ToHaveTextAsync("Preview first: it shows how many this changes.");
        await bar.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Expect(page.GetByTestId("bulk-preview")).ToHaveTextAsync("This will lock 1,001 users.");
        await Expect(run).ToBeEnabledAsync();
        await run.ClickAsync();

        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("This will lock 1,001 users. To go ahead, type that number.");
        var field = dialog.GetByLabel("Type 1,001 to confirm");
        var confirm = dialog.GetByRole(AriaRole.Button, new() { Name = "Lock 1,001 users" });
        // The field has the first focus (typing changes nothing); the destructive button looks it and waits for the count.
        await Expect(field).ToBeFocusedAsync();
        await Expect(confirm).ToBeDisabledAsync();
        Assert.Contains("mud-button-filled-error", await confirm.GetAttributeAsync("class"));
        await field.FillAsync("1000");
        await Expect(dialog).ToContainTextAsync("Type 1,001, the number of users this changes.");
        await Expect(confirm).ToBeDisabledAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("users-bulk-typed-count.png") });
        Assert.Equal(0, await server.QueryAsync(db => db.Users.CountAsync(u => u.DisplayName.StartsWith("Bulkperson") && u.IsLocked)));

        // Escape cancels: nothing changed, and focus is back on Run.
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(run).ToBeFocusedAsync();
        Assert.Equal(0, await server.QueryAsync(db => db.Users.CountAsync(u => u.DisplayName.StartsWith("Bulkperson") && u.IsLocked)));

        await run.ClickAsync();
        await field.FillAsync("1,001");
        await Expect(confirm).ToBeEnabledAsync();
        await confirm.ClickAsync();

        await Expect(page.GetByText("Done: lock for 1,001 users.", new() { Exact = false })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        Assert.Equal(Many, await server.QueryAsync(db => db.Users.CountAsync(u => u.DisplayName.StartsWith("Bulkperson") && u.IsLocked)));
        await page.CloseAsync();
    }
}
