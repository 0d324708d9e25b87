using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

#pragma warning disable BL0006 // the render tree's frames, read by RenderedFrames

namespace AdminPortal.Tests.Features.Posts;

/// <summary>
/// What a posts-grid circuit keeps for its whole life: the page's two render-tree builders, each the next power of two
/// above the frames the page renders (docs/performance.md, "Tenth round"), so a row is one markup frame.
/// </summary>
public sealed class PostsPageWeightTests(Xunit.Abstractions.ITestOutputHelper output) : PostsGridContext
{
    // The seed has fewer than a page of each: a full page of drafts and of published posts, with an author.
    protected override async Task PrepareAsync(PortalDbContext db)
    {
        long site = await db.Sites.Where(s => s.CustomerId == Contoso).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
        long author = await db.Users.Where(u => u.CustomerId == Contoso).OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
        for (int i = 0; i < 30; i++)
        {
            db.Posts.Add(new Post { SiteId = site, AuthorId = author, Title = $"Weight draft {i:D2}", Slug = $"weight-draft-{i}", Content = "Body" });
            db.Posts.Add(new Post
            {
                SiteId = site, AuthorId = author, Title = $"Weight published {i:D2}", Slug = $"weight-published-{i}", Content = "Body",
                Status = PostStatus.Published, PublishedAt = DateTime.UtcNow.AddDays(-i),
            });
        }

        await db.SaveChangesAsync();
    }

    // The rows are the child content of the page's MudSimpleTable, so they are in that component's builders. On main a
    // row was about 62 frames (seven cells, a checkbox of about 20 frames with two closures, a link, a chip, two
    // times): the table rendered 1,586 frames for 25 selected drafts and 1,686 for 25 published posts, two 2,048-frame
    // arrays (2 x 80 KB). A row is now three frames: the table renders 112, under its builders' 128-frame arrays; the
    // page itself renders 41 either way.
    [Theory]
    [InlineData("/posts")]
    [InlineData("/posts?tab=Published")]
    public void Grid_AFullPage_FitsTheRenderTreeBuildersSmallerArray(string address)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(address);
        var grid = Render<PostsPage>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tr[data-post-id]").Count), TimeSpan.FromSeconds(10));
        // A selected row, and the bulk bar that comes with it, are part of a full page too.
        grid.Find("input[aria-label='Select this page']").Change(true);
        grid.WaitForAssertion(() => Assert.Contains("Selected (25)", grid.Markup));

        // A row is three frames: the tr, its data-post-id, one markup frame with every cell, the checkbox included.
        var frames = RenderedFrames.Of(Renderer, grid.ComponentId);
        var table = RenderedFrames.Holding(Renderer, grid, "tbody");
        int rows = RenderedFrames.ElementSubtree(table.Frames, "tbody");
        output.WriteLine($"{address}: the page {frames.Count} frames, its {table.Component} {table.Frames.Count}, the rows {rows}");
        Assert.True(frames.Count < MaxFrames && table.Frames.Count < MaxTableFrames && rows <= 25 * 3 + 2,
            $"the posts page renders {frames.Count} frames (under {MaxFrames}?), its {table.Component} {table.Frames.Count} (under {MaxTableFrames}?), the rows {rows}");
    }

    private const int MaxFrames = 512;

    private const int MaxTableFrames = 128;
}
