using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Dashboard;

public sealed record DailyCount(DateTime Day, int Count);

public sealed record DashboardSummary(
    CappedCount Customers,
    CappedCount Sites,
    CappedCount Users,
    Dictionary<SyncStatus, CappedCount> UsersBySyncStatus,
    Dictionary<PostStatus, CappedCount> PostsByStatus,
    CappedCount PostsInTrash,
    List<DailyCount> SignInsPerDay);

/// <summary>The dashboard's figures, all within the circuit's tenant (the query filters see to that).</summary>
public sealed class DashboardService(IDbContextFactory<PortalDbContext> factory, TimeProvider clock)
{
    public const int CountCap = CappedCount.Cap;
    public const int SignInDays = 30;

    public async Task<DashboardSummary> GetSummaryAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);

        var usersBySync = new Dictionary<SyncStatus, CappedCount>();
        foreach (var status in Enum.GetValues<SyncStatus>())
        {
            usersBySync[status] = await CountAsync(db.TenantUsers.Where(u => u.SyncStatus == status), cancellationToken);
        }

        var postsByStatus = new Dictionary<PostStatus, CappedCount>();
        foreach (var status in Enum.GetValues<PostStatus>())
        {
            postsByStatus[status] = await CountAsync(db.TenantPosts.Where(p => p.Status == status), cancellationToken);
        }

        var trash = await CountAsync(db.TenantPosts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Where(p => p.DeletedAt != null), cancellationToken);

        return new DashboardSummary(
            await CountAsync(db.Customers, cancellationToken),
            await CountAsync(db.TenantSites, cancellationToken),
            await CountAsync(db.TenantUsers, cancellationToken),
            usersBySync,
            postsByStatus,
            trash,
            await SignInsPerDayAsync(db, cancellationToken));
    }

    /// <summary>Sign-ins per UTC day over the last 30 days, from the audit log, with empty days filled in.</summary>
    private async Task<List<DailyCount>> SignInsPerDayAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        DateTime today = clock.GetUtcNow().UtcDateTime.Date;
        DateTime from = today.AddDays(-(SignInDays - 1));
        var counts = await db.TenantAuditLog.AsNoTracking()
            .Where(a => a.Action == AuditActions.SignIn && a.At >= from)
            .GroupBy(a => a.At.Date)
            .Select(g => new { Day = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var byDay = counts.ToDictionary(c => DateTime.SpecifyKind(c.Day, DateTimeKind.Utc).Date, c => c.Count);
        return Enumerable.Range(0, SignInDays)
            .Select(offset => from.AddDays(offset))
            .Select(day => new DailyCount(day, byDay.GetValueOrDefault(day)))
            .ToList();
    }

    private static Task<CappedCount> CountAsync<T>(IQueryable<T> query, CancellationToken cancellationToken) where T : class =>
        CappedCount.CountAsync(query, cancellationToken);
}
