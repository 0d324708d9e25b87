using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>The post editor says what the database holds: autosave pauses while "Leave without saving?" is open, Leave
/// really discards (autosaves of this session included), a new post becomes a draft once it has a title, and a published
/// post says that it is not autosaved.</summary>
public class PostEditorStatesBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private Task<long> EditorSiteAsync() =>
        server.QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.Editor && u.Customer!.Slug == "contoso").Select(u => u.SiteId).SingleAsync());

    [Fact]
    public async Task Draft_AutosavedThenLeftWithThePromptOpen_NothingSavesMeanwhile_AndLeavePutsBackTheOpenedPost()
    {
        long site = await EditorSiteAsync();
        var opened = await server.QueryAsync(db => db.Posts.Where(p => p.SiteId == site && p.Status == PostStatus.Draft).OrderBy(p => p.Id)
            .Select(p => new { p.Id, p.Title, p.Content }).FirstAsync());
        var page = await server.SignInAsync("Editor · Contoso");
        await page.GotoAsync($"{server.BaseUrl}/posts/{opened.Id}");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("All changes saved");

        // An autosave lands in the database, and the state line says so.
        var content = page.GetByLabel("Content (Markdown)");
        await content.FillAsync("Autosaved words");
        await Expect(page.GetByTestId("save-state")).ToContainTextAsync("All changes saved · autosaved", new() { Timeout = 30_000 });
        Assert.Equal("Autosaved words", await server.QueryAsync(db => db.Posts.Where(p => p.Id == opened.Id).Select(p => p.Content).SingleAsync()));

        // More typing, then a link: the prompt opens while the text is unsaved, and no autosave runs while it is open.
        string typedTitle = "Typed while leaving " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByLabel("Title", new() { Exact = true }).FillAsync(typedTitle);
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("Unsaved changes");
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Leave without saving?");
        await Expect(dialog).ToContainTextAsync("Leaving puts the post back as it was when you opened it, autosaved changes included.");
        await page.WaitForTimeoutAsync(5_000); // more than twice the autosave delay
        Assert.Equal(opened.Title, await server.QueryAsync(db => db.Posts.Where(p => p.Id == opened.Id).Select(p => p.Title).SingleAsync()));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("post-editor-leave-discards.png") });

        await dialog.GetByRole(AriaRole.Button, new() { Name = "Leave" }).ClickAsync();

        await Expect(page).ToHaveURLAsync($"{server.BaseUrl}/");
        var after = await server.QueryAsync(db => db.Posts.Where(p => p.Id == opened.Id).Select(p => new { p.Title, p.Content }).SingleAsync());
        Assert.Equal((opened.Title, opened.Content), (after.Title, after.Content));
        Assert.True(await server.QueryAsync(db => db.AuditLog.AnyAsync(a => a.EntityId == opened.Id && a.Action == "discard_changes")));
        await page.CloseAsync();
    }

    [Fact]
    public async Task NewPost_AutosavesOnceItHasATitle_TheUrlNamesIt_AndLeavingLosesNothing()
    {
        string title = "Autosaved new post " + Guid.NewGuid().ToString("N")[..6];
        var page = await server.SignInAsync("Editor · Contoso");
        await page.GotoAsync($"{server.BaseUrl}/posts/new");
        await page.Locator("[data-interactive=true]").WaitForAsync();

        await page.GetByLabel("Content (Markdown)").FillAsync("Body first, <b>hostile</b> too");
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("Not saved yet: a new post is saved as a draft once it has a title");
        await page.WaitForTimeoutAsync(3_000);
        Assert.False(await server.QueryAsync(db => db.Posts.AnyAsync(p => p.Content == "Body first, <b>hostile</b> too")));

        await page.GetByLabel("Title", new() { Exact = true }).FillAsync(title);

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/posts/\d+$"), new() { Timeout = 30_000 });
        await Expect(page.GetByTestId("save-state")).ToContainTextAsync("All changes saved · autosaved as a draft");
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Draft");
        var draft = await server.QueryAsync(db => db.Posts.SingleAsync(p => p.Title == title));
        Assert.Equal((PostStatus.Draft, "Body first, <b>hostile</b> too"), (draft.Status, draft.Content));
        Assert.EndsWith($"/posts/{draft.Id}", page.Url);

        // Nothing is unsaved: no prompt, and the draft stays.
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{server.BaseUrl}/");
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        Assert.True(await server.QueryAsync(db => db.Posts.AnyAsync(p => p.Id == draft.Id)));
        await page.CloseAsync();
    }

    [Fact]
    public async Task PublishedPost_Edited_SaysItIsNotAutosaved_AndTheDatabaseKeepsThePublishedText()
    {
        long site = await EditorSiteAsync();
        var published = await server.QueryAsync(db => db.Posts.Where(p => p.SiteId == site && p.Status == PostStatus.Published).OrderBy(p => p.Id)
            .Select(p => new { p.Id, p.Content }).FirstAsync());
        var page = await server.SignInAsync("Editor · Contoso");
        await page.GotoAsync($"{server.BaseUrl}/posts/{published.Id}");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("All changes saved");

        await page.GetByLabel("Content (Markdown)").FillAsync("Not for readers yet");
        await Expect(page.GetByTestId("save-state")).ToHaveTextAsync("Unsaved changes: a published post is not autosaved; press Save");
        await page.WaitForTimeoutAsync(4_000);
        Assert.Equal(published.Content, await server.QueryAsync(db => db.Posts.Where(p => p.Id == published.Id).Select(p => p.Content).SingleAsync()));

        // Leave discards the typed text (there was no autosave to undo); the published text is untouched.
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Leave" }).ClickAsync();
        await Expect(page).ToHaveURLAsync($"{server.BaseUrl}/");
        Assert.Equal(published.Content, await server.QueryAsync(db => db.Posts.Where(p => p.Id == published.Id).Select(p => p.Content).SingleAsync()));
        await page.CloseAsync();
    }
}
