using System.Globalization;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Dashboard;

/// <summary>One row of a dashboard list: what it links to, its text, and the time beside it.</summary>
public sealed record DashboardItem(string Id, string Title, DateTime? At);

public sealed record EditorDashboard(
    CappedCount MyDrafts,
    CappedCount Scheduled,
    CappedCount Published,
    List<DashboardItem> RecentDrafts,
    List<DashboardItem> UpcomingScheduled,
    List<DashboardItem> RecentlyPublished);

public sealed record SupportDashboard(
    CappedCount FailedSyncs,
    CappedCount LockedUsers,
    List<DashboardItem> RecentSignIns);

/// <summary>
/// The editor's and support's dashboards: live, capped counts and short lists, all within the circuit's tenant (the
/// query filters see to that; an editor's scope is their site). They are cheap enough to read on every visit, unlike
/// the admin figures, which come from report snapshots (<see cref="DashboardService"/>).
/// </summary>
public sealed class RoleDashboardService(IDbContextFactory<PortalDbContext> factory)
{
    /// <summary>Rows per list: a glance, not a grid; each list links to its grid for the rest.</summary>
    public const int ListSize = 6;

    /// <summary>The editor's figures; <paramref name="authorId"/> is the circuit's own user id (from its claims), never the client's.</summary>
    public async Task<EditorDashboard> GetEditorAsync(long? authorId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var posts = db.TenantPosts.AsNoTracking();
        // A principal without a user id owns no drafts: -1 matches no row rather than every author's.
        long author = authorId ?? -1;
        var myDrafts = posts.Where(p => p.Status == PostStatus.Draft && p.AuthorId == author);
        var scheduled = posts.Where(p => p.Status == PostStatus.Scheduled);
        var published = posts.Where(p => p.Status == PostStatus.Published);

        return new EditorDashboard(
            await CappedCount.CountAsync(myDrafts, cancellationToken),
            await CappedCount.CountAsync(scheduled, cancellationToken),
            await CappedCount.CountAsync(published, cancellationToken),
            await ItemsAsync(myDrafts.OrderByDescending(p => p.UpdatedAt).ThenByDescending(p => p.Id).Select(p => new ItemShape(p.Id, p.Title, p.UpdatedAt)), cancellationToken),
            await ItemsAsync(scheduled.OrderBy(p => p.PublishedAt).ThenBy(p => p.Id).Select(p => new ItemShape(p.Id, p.Title, p.PublishedAt)), cancellationToken),
            await ItemsAsync(published.OrderByDescending(p => p.PublishedAt).ThenByDescending(p => p.Id).Select(p => new ItemShape(p.Id, p.Title, p.PublishedAt)), cancellationToken));
    }

    public async Task<SupportDashboard> GetSupportAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var users = db.TenantUsers.AsNoTracking();
        var signIns = await users.Where(u => u.LastLoginAt != null)
            .OrderByDescending(u => u.LastLoginAt).ThenByDescending(u => u.Id).Take(ListSize)
            .Select(u => new { u.Id, u.DisplayName, u.LastLoginAt })
            .ToListAsync(cancellationToken);

        return new SupportDashboard(
            await CappedCount.CountAsync(users.Where(u => u.SyncStatus == SyncStatus.Failed), cancellationToken),
            // users.is_locked has no index: this count reads the tenant's users, and the cap bounds it.
            await CappedCount.CountAsync(users.Where(u => u.IsLocked), cancellationToken),
            signIns.Select(u => new DashboardItem(u.Id.ToString(CultureInfo.InvariantCulture), u.DisplayName, u.LastLoginAt)).ToList());
    }

    private sealed record ItemShape(long Id, string Title, DateTime? At);

    private static async Task<List<DashboardItem>> ItemsAsync(IQueryable<ItemShape> query, CancellationToken cancellationToken)
    {
        var rows = await query.Take(ListSize).ToListAsync(cancellationToken);
        // Ids travel as strings: above 2^53 they would not survive JavaScript.
        return rows.Select(row => new DashboardItem(row.Id.ToString(CultureInfo.InvariantCulture), row.Title, row.At)).ToList();
    }
}
