using System.Text.Json;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Features.Reports;

/// <summary>A report as a page shows it: the figures and how old they are.</summary>
/// <param name="DatabaseUnavailable">The database did not answer: these are the figures this server last read.</param>
public sealed record ReportView<T>(T Figures, DateTime AsOf, TimeSpan ComputeTime, bool IsStale, bool DatabaseUnavailable);

/// <summary>
/// The pages' side of the reports: reads the snapshot of the circuit's own scope (one indexed row), and starts a
/// refresh in that scope. The scope is the server's, from <see cref="TenantContext"/>; nothing from the browser
/// chooses which snapshot is read.
/// </summary>
public sealed class ReportService(IDbContextFactory<PortalDbContext> factory, TenantContext tenant, ReportRefresher refresher, UserService users, ILogger<ReportService> logger)
{
    /// <summary>The dashboard's figures as of the last computation, or null when none has been made for this scope.</summary>
    public async Task<ReportView<DashboardSummary>?> GetDashboardAsync(CancellationToken cancellationToken = default)
    {
        var (snapshot, unavailable) = await ReadAsync(ReportKind.Dashboard, cancellationToken);
        return snapshot is null ? null : View(snapshot, JsonSerializer.Deserialize<DashboardSummary>(snapshot.Payload)!, unavailable);
    }

    /// <summary>The migration view's buckets as of the last computation, with the sites' current names.</summary>
    public async Task<ReportView<List<MigrationBucket>>?> GetMigrationAsync(CancellationToken cancellationToken = default)
    {
        var (snapshot, unavailable) = await ReadAsync(ReportKind.UserMigration, cancellationToken);
        if (snapshot is null)
        {
            return null;
        }

        var report = JsonSerializer.Deserialize<MigrationReport>(snapshot.Payload)!;
        var sites = unavailable ? report.Sites : await users.GetMigrationSitesAsync(cancellationToken);
        return View(snapshot, UserService.ToMigrationBuckets(report.Counts, sites), unavailable);
    }

    /// <summary>Computes this scope's report now, or joins the computation already running; never runs two at once here.</summary>
    public async Task RefreshAsync(ReportKind kind)
    {
        var scope = await tenant.ResolveAsync();
        await refresher.RefreshAsync(scope, kind);
    }

    public async Task<bool> IsRefreshingAsync(ReportKind kind) => refresher.IsRunning(await tenant.ResolveAsync(), kind);

    private ReportView<T> View<T>(ReportSnapshot snapshot, T figures, bool unavailable) =>
        new(figures, snapshot.ComputedAt, TimeSpan.FromMilliseconds(snapshot.ComputeMilliseconds), refresher.IsStale(snapshot), unavailable);

    private async Task<(ReportSnapshot? Snapshot, bool DatabaseUnavailable)> ReadAsync(ReportKind kind, CancellationToken cancellationToken)
    {
        string? key = ReportScopes.KeyOf(await tenant.ResolveAsync());
        if (key is null)
        {
            return (null, false);
        }

        refresher.NoteRead(key, kind);
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var snapshot = await db.Set<ReportSnapshot>().AsNoTracking()
                .Where(r => r.ScopeKey == key && r.Kind == kind)
                .FirstOrDefaultAsync(cancellationToken);
            if (snapshot is not null)
            {
                snapshot.ComputedAt = DateTime.SpecifyKind(snapshot.ComputedAt, DateTimeKind.Utc);
                refresher.Remember(snapshot);
            }

            return (snapshot, false);
        }
        catch (Exception exception) when (DatabaseFailure.CouldNotAnswer(exception) && refresher.Remembered(key, kind) is { } last)
        {
            logger.LogWarning(exception, "The database did not answer; the {Kind} report shows the snapshot of {AsOf:O}.", kind, last.ComputedAt);
            return (last, true);
        }
    }
}
