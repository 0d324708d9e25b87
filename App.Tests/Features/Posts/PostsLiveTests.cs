using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>The posts grid follows the change feed: a change elsewhere shows without a reload, a foreign tenant's shows nothing.</summary>
public sealed class PostsLiveTests : PostsGridContext
{
    private const string Hostile = "<img src=x onerror=alert(1)> Fabrikam secret plan";
    private long fabrikam;

    protected override async Task PrepareAsync(PortalDbContext db) =>
        fabrikam = await db.Posts.Where(p => p.Site!.CustomerId != Contoso && p.Status == PostStatus.Draft).Select(p => p.Site!.CustomerId).FirstAsync();

    [Fact]
    public async Task Grid_PostPublishedElsewhere_LeavesTheDraftsTabWithoutAReload()
    {
        long id;
        string title;
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            (id, title) = await context.Db.Posts.Where(p => p.Site!.CustomerId == Contoso && p.Status == PostStatus.Draft).OrderByDescending(p => p.UpdatedAt)
                .Select(p => new ValueTuple<long, string>(p.Id, p.Title)).FirstAsync();
        }

        var grid = Render<PostsPage>();
        grid.WaitForAssertion(() => Assert.NotNull(grid.Find($"tr[data-post-id='{id}']")), TimeSpan.FromSeconds(10));
        string draftsTab = grid.Find("[data-tab=Drafts]").TextContent;

        // Another instance publishes it: its save lands in the database and its notice arrives on the feed.
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            (await context.Db.Posts.SingleAsync(p => p.Id == id)).Status = PostStatus.Published;
            await context.Db.SaveChangesAsync();
        }

        await Services.GetRequiredService<IChangeFeed>().PublishAsync(Change.PostsChanged([id], "Published"));

        grid.WaitForAssertion(() => Assert.Empty(grid.FindAll($"tr[data-post-id='{id}']")), TimeSpan.FromSeconds(2));
        Assert.NotEqual(draftsTab, grid.Find("[data-tab=Drafts]").TextContent);
        Assert.DoesNotContain(title, grid.Find("tbody").TextContent);
    }

    [Fact]
    public async Task Grid_NoticeAboutAnotherTenantsPost_ChangesNothingVisible()
    {
        long foreign;
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            var post = await context.Db.Posts.FirstAsync(p => p.Site!.CustomerId == fabrikam && p.Status == PostStatus.Draft);
            foreign = post.Id;
            post.Title = Hostile;
            post.Status = PostStatus.Published;
            await context.Db.SaveChangesAsync();
        }

        var grid = Render<PostsPage>(); // Drafts of Contoso
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("tr[data-post-id]")), TimeSpan.FromSeconds(10));
        string before = grid.Find("main, table").TextContent;
        string tabsBefore = string.Join("|", grid.FindAll("[data-tab]").Select(t => t.TextContent));

        var feed = Services.GetRequiredService<IChangeFeed>();
        await feed.PublishAsync(Change.PostsChanged([foreign], "Published"));
        await feed.PublishAsync(Change.Resync());
        await Task.Delay(500);

        grid.WaitForAssertion(() =>
        {
            Assert.Equal(before, grid.Find("main, table").TextContent);
            Assert.Equal(tabsBefore, string.Join("|", grid.FindAll("[data-tab]").Select(t => t.TextContent)));
            Assert.DoesNotContain("Fabrikam secret plan", grid.Markup);
            Assert.DoesNotContain("onerror", grid.Markup);
            Assert.Empty(grid.FindAll($"tr[data-post-id='{foreign}']"));
        }, TimeSpan.FromSeconds(2));

        // And the same notice with the hostile tenant text spliced into the wire format is refused before delivery.
        Assert.Null(ChangeCodec.Decode($"x|{(int)ChangeTopic.Posts}|{Hostile}|0|{foreign}"));
    }

    [Fact]
    public async Task Editor_PostPublishedElsewhereWhileTyping_SaysSoAndKeepsTheTypedText()
    {
        long id;
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            id = await context.Db.Posts.Where(p => p.Site!.CustomerId == Contoso && p.Status == PostStatus.Draft).Select(p => p.Id).FirstAsync();
        }

        var editor = Render<PostEditorPage>(parameters => parameters.Add(p => p.Id, id.ToString()));
        editor.WaitForAssertion(() => Assert.Equal("Draft", editor.Find("[data-testid=post-status]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        editor.Find("textarea").Input("Typed here and not to be lost 7f3");
        editor.WaitForAssertion(() => Assert.StartsWith("All changes saved", editor.Find("[data-testid=save-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));

        // Another instance publishes it: its own context, then its notice on the feed.
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            (await context.Db.Posts.SingleAsync(p => p.Id == id)).Status = PostStatus.Published;
            await context.Db.SaveChangesAsync();
        }

        Assert.Empty(editor.FindAll("[data-testid=changed-elsewhere]"));
        await Services.GetRequiredService<IChangeFeed>().PublishAsync(Change.PostsChanged([id], "Published"));

        editor.WaitForAssertion(() =>
        {
            Assert.Equal("Published", editor.Find("[data-testid=post-status]").TextContent.Trim());
            Assert.Contains("Changed elsewhere: this post is now Published.", editor.Find("[data-testid=changed-elsewhere]").TextContent);
        }, TimeSpan.FromSeconds(2));
        Assert.Contains("Typed here and not to be lost 7f3", editor.Markup);
    }
}
