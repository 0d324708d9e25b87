using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

public class PostsBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Editor_WritesPreviewsSchedulesPublishesTrashesUndoesAndRestores()
    {
        var page = await server.SignInAsync("Editor · Contoso");
        await page.GetByRole(AriaRole.Link, new() { Name = "Posts", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New post" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New post", Level = 1 })).ToBeVisibleAsync();

        await page.GetByLabel("Title", new() { Exact = true }).FillAsync("Launch notes");
        await page.GetByLabel("Content (Markdown)").FillAsync("# Hello\n\nSome **bold** news. <script>window.hacked = 1</script> <img src=x onerror=\"window.hacked = 2\">");
        await Expect(page.GetByTestId("preview").Locator("strong")).ToHaveTextAsync("bold");
        await Expect(page.GetByLabel("Slug")).ToHaveValueAsync("launch-notes");
        Assert.Equal(0, await page.GetByTestId("preview").Locator("script").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.hacked === undefined"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Draft");
        long id = long.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);

        await page.GetByLabel("Publish at (UTC)").FillAsync(DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-ddTHH:mm"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Schedule" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Scheduled");

        await page.GetByRole(AriaRole.Button, new() { Name = "Publish now" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Published");

        await page.GetByRole(AriaRole.Button, new() { Name = "Move to Trash" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Published · in Trash");
        await page.GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Published");

        await page.GetByRole(AriaRole.Button, new() { Name = "Move to Trash" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Published · in Trash");
        await page.GotoAsync(server.BaseUrl + "/posts?tab=Trash");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Launch notes" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore" }).ClickAsync();
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Published");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("post-editor.png"), FullPage = true });

        var post = await server.QueryAsync(db => db.Posts.SingleAsync(p => p.Id == id));
        Assert.Equal((PostStatus.Published, (DateTime?)null), (post.Status, post.DeletedAt));
        var actions = await server.QueryAsync(db => db.AuditLog.Where(a => a.EntityId == id).OrderBy(a => a.At).Select(a => a.Action).ToListAsync());
        Assert.Equal(["created", "schedule", "publish", "trash", "undo_trash", "trash", "restore"], actions);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Editor_LeavingWithUnsavedChanges_IsAskedFirst()
    {
        long published = await server.QueryAsync(db => db.Posts.Where(p => p.Status == PostStatus.Published && p.Site!.Customer!.Slug == "contoso").Select(p => p.Id).FirstAsync());
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.GotoAsync($"{server.BaseUrl}/posts/{published}");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("All changes saved");

        await page.GetByLabel("Title", new() { Exact = true }).FillAsync("Edited but not saved");
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();

        await Expect(page.GetByText("Leave without saving?")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Stay" }).ClickAsync();
        await Expect(page.GetByLabel("Title", new() { Exact = true })).ToHaveValueAsync("Edited but not saved");
        Assert.EndsWith($"/posts/{published}", page.Url);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Editor_OfOneSite_CannotOpenAPostOfAnotherSiteByUrl()
    {
        var editorSite = await server.QueryAsync(db => db.Users.Where(u => u.PortalRole == App.Tenancy.PortalRole.Editor && u.Customer!.Slug == "contoso").Select(u => u.SiteId).SingleAsync());
        long otherSitePost = await server.QueryAsync(db => db.Posts.Where(p => p.SiteId != editorSite && p.Site!.Customer!.Slug == "contoso").Select(p => p.Id).FirstAsync());
        var page = await server.SignInAsync("Editor · Contoso");

        await page.GotoAsync($"{server.BaseUrl}/posts/{otherSitePost}");

        await Expect(page.GetByTestId("post-not-found")).ToBeVisibleAsync();
        await page.GotoAsync(server.BaseUrl + "/posts");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        Assert.Equal(0, await page.Locator($"[data-post-id='{otherSitePost}']").CountAsync());
        await page.CloseAsync();
    }
}
