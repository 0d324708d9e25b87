using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>The posts grid and the editor, with real MudBlazor components over a seeded SQLite database.</summary>
public sealed class PostsComponentsTests : PostsGridContext
{
    [Fact]
    public async Task Grid_TrashTab_ShowsTheTenantsTrashedPostsWithCountsOnEveryTab()
    {
        int trashed;
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            trashed = await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.Site!.CustomerId == Contoso && p.DeletedAt != null);
        }

        Services.GetRequiredService<NavigationManager>().NavigateTo("/posts?tab=Trash");
        var grid = Render<PostsPage>();

        grid.WaitForAssertion(() => Assert.Equal($"{trashed} posts", grid.Find("[data-testid=post-total]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Equal(trashed, grid.FindAll("tr[data-post-id]").Count);
        Assert.All(grid.FindAll("tr[data-post-id]"), row => Assert.Contains("trash", row.TextContent));
        Assert.Contains($"Trash ({trashed})", grid.Find("[data-tab=Trash]").TextContent);
    }

    [Fact]
    public async Task Editor_DraftEdited_AutosavesAndSaysSo()
    {
        long id;
        await using (var context = await Database.ContextAsync(TenantScope.System()))
        {
            id = await context.Db.Posts.Where(p => p.Site!.CustomerId == Contoso && p.Status == PostStatus.Draft).Select(p => p.Id).FirstAsync();
        }

        var editor = Render<PostEditorPage>(parameters => parameters.Add(p => p.Id, id.ToString()));
        editor.WaitForAssertion(() => Assert.Equal("All changes saved", editor.Find("[data-testid=save-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));

        editor.Find("textarea").Input("# Autosaved\n\n<script>bad()</script>Fine");
        editor.WaitForAssertion(() => Assert.Equal("Unsaved changes", editor.Find("[data-testid=save-state]").TextContent.Trim()));
        Assert.Contains("<h1", editor.Find("[data-testid=preview]").InnerHtml);
        Assert.DoesNotContain("<script", editor.Find("[data-testid=preview]").InnerHtml);

        editor.WaitForAssertion(() => Assert.StartsWith("All changes saved · autosaved at", editor.Find("[data-testid=save-state]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        await using var check = await Database.ContextAsync(TenantScope.System());
        Assert.StartsWith("# Autosaved", await check.Db.Posts.Where(p => p.Id == id).Select(p => p.Content).SingleAsync());
    }

    [Fact]
    public async Task Grid_TrashTabWithASelection_OffersOnlyRestoreAndPreselectsNothing()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/posts?tab=Trash");
        var grid = Render<PostsPage>();
        grid.WaitForAssertion(() => Assert.NotEmpty(grid.FindAll("tr[data-post-id]")), TimeSpan.FromSeconds(10));
        Assert.Empty(grid.FindAll("[data-testid=bulk-bar]"));

        await grid.Find("tr[data-post-id] input[type=checkbox]").CheckRowAsync(true);

        grid.WaitForAssertion(() => Assert.Single(grid.FindAll("[data-testid=bulk-bar]")));
        var bar = grid.FindComponent<AdminPortal.App.Grid.BulkBar<PostBulkAction>>().Instance;
        Assert.Null(bar.Action);
        Assert.Equal([PostBulkAction.Restore], bar.Actions);
        Assert.True(bar.OnSelection);
        Assert.Equal("Choose an action first.", grid.Find("[data-testid=bulk-hint]").TextContent.Trim());
    }
}
