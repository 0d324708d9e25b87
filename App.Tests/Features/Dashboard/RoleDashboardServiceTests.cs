using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Dashboard;

/// <summary>The editor's and support's live dashboards against the seeded database, on both providers.</summary>
public class RoleDashboardServiceTests
{
    internal static RoleDashboardService Service(AsyncServiceScope scope) =>
        new(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());

    internal sealed record Contoso(long CustomerId, long SiteId, long EditorId);

    /// <summary>Contoso, its editor's site, and its editor, who is given two drafts of their own and one in the Trash.</summary>
    internal static async Task<Contoso> ArrangeAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var db = context.Db;
        long contoso = await db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        var editor = await db.Users.SingleAsync(u => u.CustomerId == contoso && u.PortalRole == PortalRole.Editor);
        var drafts = await db.Posts.Where(p => p.SiteId == editor.SiteId && p.Status == PostStatus.Draft).OrderBy(p => p.Id).Take(3).ToListAsync();
        drafts.ForEach(p => p.AuthorId = editor.Id);
        drafts[2].DeletedAt = DateTime.UtcNow;
        await db.SaveChangesAsync();
        return new Contoso(contoso, editor.SiteId, editor.Id);
    }

    [Theory, BothProviders]
    public async Task GetEditor_EditorOfASite_CountsAndListsTheirSitesPostsOnly(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var contoso = await ArrangeAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso.CustomerId, role: PortalRoles.Editor, siteId: contoso.SiteId));

        var figures = await Service(scope).GetEditorAsync(contoso.EditorId);

        await using var context = await database.ContextAsync(TenantScope.System());
        var posts = context.Db.Posts.Where(p => p.SiteId == contoso.SiteId);
        int myDrafts = await posts.CountAsync(p => p.Status == PostStatus.Draft && p.AuthorId == contoso.EditorId);
        Assert.True(myDrafts >= 2);
        Assert.Equal(myDrafts, figures.MyDrafts.Value);
        Assert.Equal(await posts.CountAsync(p => p.Status == PostStatus.Scheduled), figures.Scheduled.Value);
        Assert.Equal(await posts.CountAsync(p => p.Status == PostStatus.Published), figures.Published.Value);
        var scheduled = (await posts.Where(p => p.Status == PostStatus.Scheduled).Select(p => new { p.Id, p.PublishedAt }).ToListAsync())
            .OrderBy(p => p.PublishedAt).Take(RoleDashboardService.ListSize).Select(p => p.Id.ToString()).ToList();
        Assert.Equal(scheduled, figures.UpcomingScheduled.Select(i => i.Id).ToList());
        Assert.All(figures.UpcomingScheduled, i => Assert.True(i.At > DateTime.UtcNow));
        var published = (await posts.Where(p => p.Status == PostStatus.Published).Select(p => new { p.Id, p.PublishedAt }).ToListAsync())
            .OrderByDescending(p => p.PublishedAt).Take(RoleDashboardService.ListSize).Select(p => p.Id.ToString()).ToList();
        Assert.Equal(published, figures.RecentlyPublished.Select(i => i.Id).ToList());
        Assert.Equal(Math.Min(myDrafts, RoleDashboardService.ListSize), figures.RecentDrafts.Count);
        Assert.InRange(figures.RecentlyPublished.Count, 1, RoleDashboardService.ListSize);
    }

    [Theory, BothProviders]
    public async Task GetEditor_NoUserId_OwnsNoDrafts(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var contoso = await ArrangeAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso.CustomerId, role: PortalRoles.Editor, siteId: contoso.SiteId));

        var figures = await Service(scope).GetEditorAsync(null);

        Assert.Equal(0, figures.MyDrafts.Value);
        Assert.Empty(figures.RecentDrafts);
    }

    [Theory, BothProviders]
    public async Task GetSupport_SupportOfACustomer_CountsFailedAndLockedAndListsLatestSignIns(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var contoso = await ArrangeAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso.CustomerId, role: PortalRoles.Support));

        var figures = await Service(scope).GetSupportAsync();

        await using var context = await database.ContextAsync(TenantScope.System());
        var users = context.Db.Users.Where(u => u.CustomerId == contoso.CustomerId);
        Assert.Equal(await users.CountAsync(u => u.SyncStatus == SyncStatus.Failed), figures.FailedSyncs.Value);
        Assert.True(figures.FailedSyncs.Value > 0);
        Assert.Equal(await users.CountAsync(u => u.IsLocked), figures.LockedUsers.Value);
        var latest = (await users.Where(u => u.LastLoginAt != null).Select(u => new { u.Id, u.LastLoginAt }).ToListAsync())
            .OrderByDescending(u => u.LastLoginAt).Take(RoleDashboardService.ListSize).Select(u => u.Id.ToString()).ToList();
        Assert.Equal(latest, figures.RecentSignIns.Select(i => i.Id).ToList());
        Assert.Equal(RoleDashboardService.ListSize, figures.RecentSignIns.Count);
    }
}
