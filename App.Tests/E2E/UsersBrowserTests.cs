using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

public class UsersBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query) => server.QueryAsync(query);

    [Fact]
    public async Task Support_FindsAFailedSyncByFilter_RetriesIt_AndSeesTheStatusChange()
    {
        var failed = await QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.Editor && u.Customer!.Slug == "contoso")
            .Select(u => new { u.Id, u.DisplayName, u.SyncStatus }).SingleAsync());
        Assert.Equal(SyncStatus.Failed, failed.SyncStatus);
        var page = await server.SignInAsync("Support · Contoso");

        await page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("user-total")).ToBeVisibleAsync();
        // The filter is the browser's own select (FilterSelect): choose as a person would, by its visible text.
        await page.GetByLabel("Sync", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Failed" });
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("sync=Failed"));
        // The sync worker settles the seeded pending users right after start-up; count once it has.
        for (int wait = 0; wait < 100 && await QueryAsync(db => db.Users.AnyAsync(u => u.SyncStatus == SyncStatus.Pending)); wait++)
        {
            await Task.Delay(200);
        }

        int failedCount = await QueryAsync(db => db.Users.CountAsync(u => u.Customer!.Slug == "contoso" && u.SyncStatus == SyncStatus.Failed));
        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync($"{failedCount} users");
        await Expect(page.Locator($"[data-user-id='{failed.Id}']")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-user-id] .mud-chip").Filter(new() { HasNotText = "Failed" })).ToHaveCountAsync(0);

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("users-grid.png"), FullPage = true });
        await page.GetByRole(AriaRole.Link, new() { Name = failed.DisplayName }).First.ClickAsync();
        await Expect(page.GetByTestId("sync-status")).ToHaveTextAsync("Failed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry sync" }).ClickAsync();

        // The worker checks the development provider's discovery document and the page updates by itself.
        await Expect(page.GetByTestId("sync-status")).ToHaveTextAsync("Synced", new() { Timeout = 20_000 });
        await Expect(page.GetByTestId("sync-error")).ToHaveTextAsync("—");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("user-detail.png"), FullPage = true });
        Assert.True(await QueryAsync(db => db.AuditLog.AnyAsync(a => a.EntityId == failed.Id && a.Action == "retry_sync")));
        await page.CloseAsync();
    }

    [Fact]
    public async Task CustomerAdmin_SeesOnlyTheirOwnUsers_AndAnotherTenantsUserIsNotFound()
    {
        int fabrikamUsers = await QueryAsync(db => db.Users.CountAsync(u => u.Customer!.Slug == "fabrikam"));
        long contosoUser = await QueryAsync(db => db.Users.Where(u => u.Customer!.Slug == "contoso").Select(u => u.Id).FirstAsync());
        var page = await server.SignInAsync("Customer admin · Fabrikam");

        await page.GotoAsync(server.BaseUrl + "/users?sort=Email");
        await page.Locator("[data-interactive=true]").WaitForAsync();

        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync($"{fabrikamUsers} users");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" }).ClickAsync());
        string file = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Equal(fabrikamUsers + 1, file.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        await Expect(page.Locator("#export-progress")).ToHaveTextAsync($"{fabrikamUsers} of {fabrikamUsers} rows");
        var emails = await page.Locator("[data-user-id] td:nth-child(3)").AllInnerTextsAsync();
        Assert.NotEmpty(emails);
        Assert.All(emails, email => Assert.EndsWith("@fabrikam.example", email));
        Assert.Equal(emails.Order(StringComparer.Ordinal), emails);

        await page.GotoAsync($"{server.BaseUrl}/users/{contosoUser}");
        await Expect(page.GetByTestId("user-not-found")).ToBeVisibleAsync();

        // The export is the whole filtered set, streamed, and holds only the tenant's rows.
        var csv = await page.Context.APIRequest.GetAsync($"{server.BaseUrl}/users/export.csv?sync=Failed");
        Assert.Equal(200, csv.Status);
        var lines = (await csv.TextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int fabrikamFailed = await QueryAsync(db => db.Users.CountAsync(u => u.Customer!.Slug == "fabrikam" && u.SyncStatus == SyncStatus.Failed));
        Assert.StartsWith("id,display_name,email,site,auth_kind", lines[0]);
        Assert.Equal(fabrikamFailed, lines.Length - 1);
        Assert.All(lines.Skip(1), line => Assert.Contains("@fabrikam.example", line));
        Assert.DoesNotContain("$2a$", await csv.TextAsync());
        await page.CloseAsync();
    }

    [Fact]
    public async Task BulkUnlock_AllMatchingTheFilter_PreviewsTheCountThenUnlocksThem()
    {
        int locked = await QueryAsync(db => db.Users.CountAsync(u => u.Customer!.Slug == "contoso" && u.IsLocked));
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync(server.BaseUrl + "/users?state=Locked");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync($"{locked} users");

        // The bulk action is the browser's own select (FilterSelect): choose it by its visible text.
        await page.GetByLabel("Bulk action", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Unlock" });
        await page.GetByRole(AriaRole.Radio, new() { Name = "All matching the filter" }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Preview" }).ClickAsync();
        await Expect(page.GetByTestId("bulk-preview")).ToHaveTextAsync($"This will unlock {locked} users.");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("users-bulk-preview.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();

        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync("0 users", new() { Timeout = 15_000 });
        await Expect(page.GetByText("No users match these filters.")).ToBeVisibleAsync();
        Assert.Equal(0, await QueryAsync(db => db.Users.CountAsync(u => u.Customer!.Slug == "contoso" && u.IsLocked)));
        Assert.Equal(locked, await QueryAsync(db => db.AuditLog.CountAsync(a => a.Action == "bulk_unlock")));
        await page.CloseAsync();
    }

    [Fact]
    public async Task MigrationView_BucketLink_OpensTheGridFilteredToIt()
    {
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync(server.BaseUrl + "/users/migration");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        var both = page.Locator("[data-bucket=Both]").First;
        string count = (await both.InnerTextAsync()).Trim();

        await both.ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("auth=Both"));
        await Expect(page.GetByTestId("user-total")).ToHaveTextAsync(count == "1" ? "1 user" : $"{count} users");
        await page.CloseAsync();
    }
}
