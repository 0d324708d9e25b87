using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Reports;

/// <summary>
/// Keeps the snapshots that pages of this process read recently (within <see cref="ReportRefresher.RecentlyReadWithin"/>)
/// younger than <see cref="ReportRefresher.MaxAge"/>, so that a page rarely has to show stale figures; a scope nobody
/// reads is not recomputed. Each stale snapshot is claimed first (one UPDATE), so that of several instances
/// on one database only one recomputes it.
/// </summary>
public sealed class ReportBackgroundRefresh(IServiceScopeFactory scopes, ReportRefresher refresher, IConfiguration configuration, ILogger<ReportBackgroundRefresh> logger) : BackgroundService
{
    /// <summary>A claim older than this is void: the instance that made it stopped before it finished.</summary>
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = configuration.GetValue("Reports:BackgroundInterval", TimeSpan.FromMinutes(1));
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(interval, stoppingToken);
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Refreshing stale reports failed; it runs again in {Interval}.", interval);
            }
        }
    }

    /// <returns>How many snapshots this run recomputed.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        DateTime now = refresher.UtcNow;
        DateTime staleBefore = now - refresher.MaxAge;
        DateTime claimVoidBefore = now - ClaimTimeout;
        var recentlyRead = refresher.RecentlyRead().ToHashSet();
        if (recentlyRead.Count == 0)
        {
            return 0;
        }

        var keys = recentlyRead.Select(r => r.Key).Distinct().ToList();
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("reports"));
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var stale = await db.Set<ReportSnapshot>().AsNoTracking()
            .Where(r => keys.Contains(r.ScopeKey) && r.ComputedAt < staleBefore && (r.RefreshClaimedAt == null || r.RefreshClaimedAt < claimVoidBefore))
            .OrderBy(r => r.ComputedAt)
            .Select(r => new { r.Id, r.ScopeKey, r.Kind, r.CustomerId, r.SiteId })
            .Take(100)
            .ToListAsync(cancellationToken);
        int refreshed = 0;
        foreach (var report in stale.Where(r => recentlyRead.Contains((r.ScopeKey, r.Kind))))
        {
            int claimed = await db.Set<ReportSnapshot>()
                .Where(r => r.Id == report.Id && r.ComputedAt < staleBefore && (r.RefreshClaimedAt == null || r.RefreshClaimedAt < claimVoidBefore))
                .ExecuteUpdateAsync(set => set.SetProperty(r => r.RefreshClaimedAt, now), cancellationToken);
            if (claimed == 0)
            {
                continue; // another instance has it
            }

            await refresher.RefreshAsync(ReportScopes.ComputationScope(report.CustomerId, report.SiteId), report.Kind);
            refreshed++;
        }

        return refreshed;
    }
}
