using System.Text.RegularExpressions;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Read-only "view as" in Chromium: what the viewer sees, that nothing can act, and that it ends and is audited.</summary>
public class ViewAsBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private static async Task WaitForCircuitAsync(IPage page) =>
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

    /// <summary>A first request to a cold host can outlast the browser's 30 s navigation timeout on a loaded machine.</summary>
    private async Task<IPage> SignInAsync(string persona)
    {
        using var warmUp = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        await warmUp.GetAsync(server.BaseUrl + "/signin");
        return await server.SignInAsync(persona);
    }

    private static ILocator Nav(IPage page, string area) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Areas" }).GetByRole(AriaRole.Link, new() { Name = area, Exact = true });

    /// <summary>The enabled buttons and fields of the page body, outside the banner and the controls that only look.</summary>
    private static Task<string[]> EnabledActionsAsync(IPage page) => page.EvaluateAsync<string[]>(@"() =>
        [...document.querySelectorAll('.mud-main-content button, .mud-main-content input, .mud-main-content textarea, .mud-main-content select, .mud-main-content a.mud-button-root')]
            .filter(e => !e.closest('[data-testid=view-as-banner]') && !e.closest('nav') && !e.closest('[role=search]') && !e.closest('.mud-snackbar') && !e.classList.contains('sort-header'))
            .filter(e => !e.disabled && e.getAttribute('aria-disabled') !== 'true' && !(e.tagName === 'A' && !e.getAttribute('href')) && e.type !== 'hidden')
            .filter(e => e.offsetParent !== null)
            .map(e => (e.tagName + ' ' + (e.getAttribute('aria-label') || e.textContent || e.name || '')).trim())");

    [Fact]
    public async Task Support_ViewsAsEditor_SeesTheEditorsPostsReadOnly_ForcedWritesChangeNothing_StopReturns_AndItIsAudited()
    {
        var editor = await server.QueryAsync(db => db.Users.Include(u => u.Site).SingleAsync(u => u.PortalRole == PortalRole.Editor && u.Customer!.Slug == "contoso" && u.OidcSubject != null));
        var otherSiteTitles = await server.QueryAsync(db => db.Posts.Where(p => p.Site!.Customer!.Slug == "contoso" && p.SiteId != editor.SiteId).Select(p => p.Title).ToListAsync());
        var page = await SignInAsync("Support · Contoso");
        await Expect(Nav(page, "Posts")).ToHaveCountAsync(0); // support has no Posts area of its own

        await page.GotoAsync($"{server.BaseUrl}/users/{editor.Id}");
        await WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("view-as-help")).ToContainTextAsync("read-only, for up to 15 minutes");
        await page.GetByRole(AriaRole.Button, new() { Name = "View as" }).ClickAsync();

        var banner = page.GetByTestId("view-as-banner");
        await Expect(banner).ToContainTextAsync($"Viewing as {editor.DisplayName} (Editor) — read-only · ends in");
        await Expect(page.GetByTestId("view-as-remaining")).ToHaveTextAsync(new Regex(@"^1[45]:[0-5]\d$"));
        await Expect(banner).ToContainTextAsync("Reloading the page or opening a new tab ends viewing as");
        // The editor's navigation: Posts, and no Users (an editor has none).
        await Expect(Nav(page, "Users")).ToHaveCountAsync(0);
        await Nav(page, "Posts").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Posts", Level = 1 })).ToBeVisibleAsync();
        await Expect(banner).ToBeVisibleAsync();

        // The posts of the editor's site only, on every tab (the tabs stay usable: they only look).
        var editorPost = await server.QueryAsync(db => db.Posts.Where(p => p.SiteId == editor.SiteId && p.Status == PostStatus.Draft).OrderByDescending(p => p.UpdatedAt).FirstAsync());
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = editorPost.Title, Exact = true })).ToBeVisibleAsync();
        foreach (string tab in new[] { "Drafts", "Scheduled", "Published", "Trash" })
        {
            await page.Locator($"[data-tab={tab}]").ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex(tab == "Drafts" ? "/posts" : $"tab={tab}"));
            var titles = await page.Locator("table tbody a").AllTextContentsAsync();
            Assert.DoesNotContain(titles, t => otherSiteTitles.Contains(t.Trim()));
        }

        // Every action of the grid is disabled: bulk bar, row selection, New post.
        await page.Locator("[data-tab=Drafts]").ClickAsync();
        // No row can be selected, so the bulk bar (shown only for a selection or a filter) never appears.
        await Expect(page.GetByTestId("bulk-bar")).ToHaveCountAsync(0);
        Assert.Empty(await EnabledActionsAsync(page));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("view-as-posts.png"), FullPage = true });

        // The editor: Save, Publish now and Move to Trash are there, as the editor sees them, and disabled.
        await page.GetByRole(AriaRole.Link, new() { Name = editorPost.Title, Exact = true }).ClickAsync();
        var publish = page.GetByRole(AriaRole.Button, new() { Name = "Publish now" });
        await Expect(publish).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true })).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Move to Trash" })).ToBeDisabledAsync();
        await Expect(page.GetByLabel("Title", new() { Exact = true })).ToBeDisabledAsync();
        Assert.Empty(await EnabledActionsAsync(page));

        // Forced writes through a tampered page: the disabled attributes removed, then a click, typing and Ctrl+S.
        await page.EvaluateAsync("() => document.querySelectorAll('[disabled]').forEach(e => e.removeAttribute('disabled'))");
        await publish.ClickAsync(new() { Force = true });
        var title = page.GetByLabel("Title", new() { Exact = true });
        await title.FillAsync("Changed while viewing as", new() { Force = true });
        await title.PressAsync("Control+s");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync(new() { Force = true });
        await page.WaitForTimeoutAsync(3_500); // past the editor's 2-second autosave
        var after = await server.QueryAsync(db => db.Posts.AsNoTracking().SingleAsync(p => p.Id == editorPost.Id));
        Assert.Equal((editorPost.Title, editorPost.Status, editorPost.Version), (after.Title, after.Status, after.Version));
        Assert.Equal(0, await server.QueryAsync(db => db.AuditLog.CountAsync(a => a.EntityId == editorPost.Id && a.At > editorPost.UpdatedAt)));

        // Stop, from the keyboard: back to the support user's own view of the editor's detail page.
        var stop = banner.GetByRole(AriaRole.Button, new() { Name = "Stop" });
        await stop.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(banner).ToHaveCountAsync(0);
        await Expect(page).ToHaveURLAsync($"{server.BaseUrl}/users/{editor.Id}");
        await Expect(Nav(page, "Users")).ToBeVisibleAsync();
        await Expect(Nav(page, "Posts")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke tokens" })).ToBeEnabledAsync();

        // The customer admin's audit page shows both entries.
        var support = await server.QueryAsync(db => db.Users.SingleAsync(u => u.PortalRole == PortalRole.Support && u.Customer!.Slug == "contoso" && u.OidcSubject != null));
        var audit = await server.QueryAsync(db => db.AuditLog.Where(a => a.EntityId == editor.Id && a.Action.StartsWith("view_as_")).OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(["view_as_started", "view_as_ended"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal((support.Id, editor.CustomerId), (a.ActorUserId!.Value, a.CustomerId!.Value)));
        Assert.Contains("\"stopped\"", audit[1].Changes);
        var admin = await SignInAsync("Customer admin · Contoso");
        foreach (string action in new[] { "view_as_started", "view_as_ended" })
        {
            await admin.GotoAsync($"{server.BaseUrl}/audit?action={action}");
            await WaitForCircuitAsync(admin);
            // The page shows action names with spaces.
            var row = admin.Locator("table tbody tr").Filter(new() { HasText = action.Replace('_', ' ') });
            await Expect(row).ToHaveCountAsync(1);
            await Expect(row).ToContainTextAsync(editor.DisplayName);
        }

        await admin.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("view-as-audit.png"), FullPage = true });
        await admin.CloseAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task PlatformAdmin_ViewsAsCustomerAdmin_EveryActionIsDisabled_AndAReloadEndsIt()
    {
        var customerAdmin = await server.QueryAsync(db => db.Users.SingleAsync(u => u.PortalRole == PortalRole.CustomerAdmin && u.Customer!.Slug == "fabrikam" && u.OidcSubject != null));
        var page = await SignInAsync("Platform admin");
        await page.GotoAsync($"{server.BaseUrl}/users/{customerAdmin.Id}");
        await WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "View as" }).ClickAsync();
        await Expect(page.GetByTestId("view-as-banner")).ToContainTextAsync($"Viewing as {customerAdmin.DisplayName} (Customer admin)");
        // A customer admin has no Customers or Schema area, and no tenant switcher.
        await Expect(Nav(page, "Customers")).ToHaveCountAsync(0);
        await Expect(Nav(page, "Schema")).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Customer", new() { Exact = true })).ToHaveCountAsync(0);

        // Users grid: the bulk bar and the row selection are disabled; so is the export.
        await Nav(page, "Users").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync();
        // No row can be selected, so the bulk bar (shown only for a selection or a filter) never appears.
        await Expect(page.GetByTestId("bulk-bar")).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" })).ToBeDisabledAsync();
        Assert.Empty(await EnabledActionsAsync(page));
        // Only fabrikam's users are listed.
        var contosoLinks = (await server.QueryAsync(db => db.Users.Where(u => u.Customer!.Slug == "contoso").Select(u => u.Id).ToListAsync())).Select(id => $"/users/{id}").ToHashSet();
        var rows = await page.Locator("table tbody a").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
        Assert.NotEmpty(rows);
        Assert.DoesNotContain(rows, contosoLinks.Contains);
        // Filters and sorting only change the URL: they stay usable while viewing as.
        await Expect(page.GetByLabel("Search name or email")).ToBeEnabledAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Sort by Email" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("sort=Email"));
        await Expect(page.GetByTestId("view-as-banner")).ToBeVisibleAsync();
        Assert.Empty(await EnabledActionsAsync(page));

        // A user's detail: Revoke tokens, Lock and the profile form are disabled.
        await page.Locator("table tbody a").First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Revoke tokens" })).ToBeDisabledAsync();
        Assert.Empty(await EnabledActionsAsync(page));

        // Identity providers: New provider, and a provider's Save, Test connection and Delete.
        await Nav(page, "Identity providers").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Identity providers", Level = 1 })).ToBeVisibleAsync();
        Assert.Empty(await EnabledActionsAsync(page));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("view-as-identity-providers.png"), FullPage = true });

        // A reload is a new circuit: the platform admin's own view again (the old circuit's view-as ends, audited, when it closes).
        await page.ReloadAsync();
        await WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("view-as-banner")).ToHaveCountAsync(0);
        await Expect(Nav(page, "Customers")).ToBeVisibleAsync();
        await page.CloseAsync();
        Assert.Equal(1, await server.QueryAsync(db => db.AuditLog.CountAsync(a => a.EntityId == customerAdmin.Id && a.Action == "view_as_started")));
    }
}
