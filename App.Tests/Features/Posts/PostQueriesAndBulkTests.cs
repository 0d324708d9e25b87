using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Posts;

public class PostQueriesAndBulkTests
{
    private static async Task<long> ContosoAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
    }

    [Theory, BothProviders]
    public async Task Tabs_CountsFiltersAndPaging_MatchTheDatabase(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await ContosoAsync(database);
        List<Post> all;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            all = await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).AsNoTracking().Where(p => p.Site!.CustomerId == contoso).ToListAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var queries = new PostQueries(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());

        var counts = await queries.CountTabsAsync(new PostFilter());
        Assert.Equal(all.Count(p => p.DeletedAt == null && p.Status == PostStatus.Draft), counts[PostTab.Drafts].Value);
        Assert.Equal(all.Count(p => p.DeletedAt == null && p.Status == PostStatus.Scheduled), counts[PostTab.Scheduled].Value);
        Assert.Equal(all.Count(p => p.DeletedAt == null && p.Status == PostStatus.Published), counts[PostTab.Published].Value);
        Assert.Equal(all.Count(p => p.DeletedAt != null), counts[PostTab.Trash].Value);

        long author = all.First(p => p.AuthorId != null).AuthorId!.Value;
        var byAuthor = await queries.GetPageAsync(new PostFilter(PostTab.Trash) with { AuthorId = author, Tab = PostTab.Drafts }, new PageRequest(Size: 200));
        Assert.Equal(all.Where(p => p.DeletedAt == null && p.Status == PostStatus.Draft && p.AuthorId == author).Select(p => p.Id.ToString()).Order(), byAuthor.Rows.Select(r => r.Id).Order());

        foreach (var sort in Enum.GetValues<PostSort>())
        {
            foreach (bool descending in new[] { false, true })
            {
                // The Trash mixes drafts (no published_at) with published posts: NULLs and values in one walk.
                var filter = new PostFilter(sort == PostSort.Published ? PostTab.Trash : PostTab.Drafts, Sort: sort, Descending: descending);
                var everything = (await queries.GetPageAsync(filter, new PageRequest(Size: 200))).Rows.Select(r => r.Id).ToList();
                var walked = new List<string>();
                var page = await queries.GetPageAsync(filter, new PageRequest(Size: 3));
                walked.AddRange(page.Rows.Select(r => r.Id));
                while (page.HasNext)
                {
                    page = await queries.GetPageAsync(filter, new PageRequest(PageRequestKind.After, page.Last, 3));
                    walked.AddRange(page.Rows.Select(r => r.Id));
                }

                var back = new List<string>();
                page = await queries.GetPageAsync(filter, new PageRequest(PageRequestKind.Last, Size: 3));
                back.InsertRange(0, page.Rows.Select(r => r.Id));
                while (page.HasPrevious)
                {
                    page = await queries.GetPageAsync(filter, new PageRequest(PageRequestKind.Before, page.First, 3));
                    back.InsertRange(0, page.Rows.Select(r => r.Id));
                }

                Assert.Equal(everything, walked);
                Assert.Equal(everything, back);
            }
        }
    }

    [Theory, BothProviders]
    public async Task Bulk_StoppedAfterTheFirstBatch_OnlyWholeBatchesAndOnlyTheTenantsPosts(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await ContosoAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var bulk = new PostBulkService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);
        var target = new PostBulkTarget(new PostFilter(PostTab.Drafts), null);
        int drafts = await bulk.PreviewAsync(PostBulkAction.Publish, target);
        using var stop = new CancellationTokenSource();

        var outcome = await bulk.RunAsync(PostBulkAction.Publish, target, new InlineProgress(_ => stop.Cancel()), stop.Token, batchSize: 2);

        Assert.Equal((2, drafts, true), (outcome.Done, outcome.Total, outcome.Cancelled));
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(2, await context.Db.AuditLog.CountAsync(a => a.Action == "bulk_publish"));

        // Trash everything matching, then restore a selection that smuggles in another tenant's post.
        long foreignPost = await context.Db.Posts.Where(p => p.Site!.CustomerId != contoso).Select(p => p.Id).FirstAsync();
        var trashed = await bulk.RunAsync(PostBulkAction.Trash, new PostBulkTarget(new PostFilter(PostTab.Published), null));
        Assert.False(trashed.Cancelled);
        var mine = await context.Db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.Site!.CustomerId == contoso && p.DeletedAt != null).Select(p => p.Id.ToString()).Take(2).ToListAsync();
        var restored = await bulk.RunAsync(PostBulkAction.Restore, new PostBulkTarget(new PostFilter(PostTab.Trash), [.. mine, foreignPost.ToString()]));
        Assert.Equal(2, restored.Done);
        Assert.Null(await context.Db.Posts.Where(p => p.Id == foreignPost).Select(p => p.DeletedAt).SingleAsync());
        Assert.Equal(0, await context.Db.AuditLog.CountAsync(a => a.EntityId == foreignPost && a.Action.StartsWith("bulk_")));
    }

    private sealed class InlineProgress(Action<BulkProgress> report) : IProgress<BulkProgress>
    {
        public void Report(BulkProgress value) => report(value);
    }
}
