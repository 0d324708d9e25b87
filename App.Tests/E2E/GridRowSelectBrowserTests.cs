using AdminPortal.App.Features.Posts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// The users and posts grids' row checkboxes are markup with one handler on the table body (RowSelect,
/// wwwroot/AdminPortal.lib.module.js): in Chromium they must still select by mouse and by keyboard (Space, Enter,
/// Delete, as MudCheckBox did) and keep the focus on the box while its row is drawn again.
/// </summary>
public class GridRowSelectBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Theory]
    [InlineData("/users?sort=Name", "data-user-id", "users-row-select.png")]
    [InlineData("/posts", "data-post-id", "posts-row-select.png")]
    public async Task RowCheckboxes_SelectByMouseAndKeyboard_AndKeepTheFocus(string address, string rowId, string screenshot)
    {
        using (var warmUp = new HttpClient { Timeout = TimeSpan.FromMinutes(2) })
        {
            await warmUp.GetAsync(server.BaseUrl + "/signin");
        }

        if (rowId == "data-post-id")
        {
            await AddDraftsAsync(30);
        }

        var page = await server.SignInAsync("Customer admin · Contoso", width: 1440, height: 900);
        await page.GotoAsync(server.BaseUrl + address);
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator($"tr[{rowId}]")).ToHaveCountAsync(25);
        var rows = page.Locator($"tr[{rowId}]");
        var first = rows.Nth(0).Locator("input[type=checkbox]");
        var second = rows.Nth(1).Locator("input[type=checkbox]");
        var bar = page.GetByTestId("bulk-bar");

        // The mouse.
        await first.ClickAsync();
        await Expect(bar).ToContainTextAsync("Selected (1)");
        await Expect(first).ToBeCheckedAsync();
        await Expect(rows.Nth(0).Locator(".mud-checkbox-true")).ToHaveCountAsync(1);
        // The rows' icons are drawn from the page's one sprite (GridCells.Sprite), at MudCheckBox's size.
        await Expect(rows.Nth(0).Locator("svg use")).ToHaveAttributeAsync("href", "#grid-box-checked");
        await Expect(rows.Nth(1).Locator("svg use")).ToHaveAttributeAsync("href", "#grid-box");
        await Expect(page.Locator("symbol#grid-box-checked path")).ToHaveCountAsync(2);
        var icon = await rows.Nth(1).Locator("svg.mud-icon-root").BoundingBoxAsync();
        Assert.True(icon is { Width: >= 20, Height: >= 20 }, $"row icon box {icon?.Width}x{icon?.Height}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath(screenshot) });

        // Space on the focused box, and the focus is still on that row's box after the row is drawn again.
        await second.FocusAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(bar).ToContainTextAsync("Selected (2)");
        await Expect(second).ToBeCheckedAsync();
        await Expect(second).ToBeFocusedAsync();

        // Enter checks only (a checked box stays checked), Delete unchecks.
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForTimeoutAsync(300);
        await Expect(second).ToBeCheckedAsync();
        await Expect(bar).ToContainTextAsync("Selected (2)");
        await page.Keyboard.PressAsync("Delete");
        await Expect(bar).ToContainTextAsync("Selected (1)");
        await Expect(second).Not.ToBeCheckedAsync();
        await Expect(second).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(bar).ToContainTextAsync("Selected (2)");
        await Expect(second).ToBeFocusedAsync();

        // Tab moves on to the next row's box, which Space selects.
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        var third = rows.Nth(2).Locator("input[type=checkbox]");
        await Expect(third).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Space");
        await Expect(bar).ToContainTextAsync("Selected (3)");

        // The page's own box selects the rest and the rows show it; the selection survives a page turn and back.
        await page.GetByLabel("Select this page").ClickAsync();
        await Expect(bar).ToContainTextAsync("Selected (25)");
        await Expect(page.Locator("tbody input[type=checkbox]:checked")).ToHaveCountAsync(25);
        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await Expect(page.Locator("tbody input[type=checkbox]:checked")).ToHaveCountAsync(0);
        await page.GoBackAsync();
        await Expect(page.Locator("tbody input[type=checkbox]:checked")).ToHaveCountAsync(25);
        await Expect(bar).ToContainTextAsync("Selected (25)");
    }

    /// <summary>The demo data has fewer than a page of any tab's posts: a page and a bit more of drafts, so a page turns.</summary>
    private Task<int> AddDraftsAsync(int count) => server.QueryAsync(async db =>
    {
        var site = await db.Sites.Where(s => s.Customer!.Slug == "contoso").OrderBy(s => s.Id).FirstAsync();
        for (int i = 0; i < count; i++)
        {
            db.Posts.Add(new Post { SiteId = site.Id, Title = $"Row select draft {i:D2}", Slug = $"row-select-draft-{i}", Content = "Body" });
        }

        return await db.SaveChangesAsync();
    });
}
