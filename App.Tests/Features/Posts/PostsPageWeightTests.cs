using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>
/// What a posts-grid circuit keeps for its whole life: the page's two render-tree builders, each the next power of two
/// above the frames the page renders (docs/performance.md, "Tenth round"), so a row is one markup frame.
/// </summary>
public sealed class PostsPageWeightTests(Xunit.Abstractions.ITestOutputHelper output) : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        long contoso;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            long site = await context.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            long author = await context.Db.Users.Where(u => u.CustomerId == contoso).OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
            // The seed has fewer than a page of each: a full page of drafts and of published posts, with an author.
            for (int i = 0; i < 30; i++)
            {
                context.Db.Posts.Add(new Post { SiteId = site, AuthorId = author, Title = $"Weight draft {i:D2}", Slug = $"weight-draft-{i}", Content = "Body" });
                context.Db.Posts.Add(new Post
                {
                    SiteId = site, AuthorId = author, Title = $"Weight published {i:D2}", Slug = $"weight-published-{i}", Content = "Body",
                    Status = PostStatus.Published, PublishedAt = DateTime.UtcNow.AddDays(-i),
                });
            }

            await context.Db.SaveChangesAsync();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<PostQueries>();
        Services.AddScoped<PostLifecycleService>();
        Services.AddScoped<PostBulkService>();
        Services.AddScoped<AdminPortal.App.Features.Jobs.JobService>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Customer admin");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.CustomerAdmin), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.CustomerAdmin)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    // Main rendered BEFORE frames for a full page here: a row was a tr, its key and id, seven cells and in them a
    // checkbox (about 20 frames and two closures), a link, a chip and two times, about 50 frames.
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
