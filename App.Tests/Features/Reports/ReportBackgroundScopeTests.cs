using AdminPortal.App.Data;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static AdminPortal.Tests.Features.Reports.ReportTestServices;

namespace AdminPortal.Tests.Features.Reports;

/// <summary>Which snapshots the background keeps fresh: only scopes a page of this instance read recently.</summary>
public class ReportBackgroundScopeTests
{
    [Theory, BothProviders]
    public async Task BackgroundRefresh_StaleScopesNobodyReadRecently_AreLeftAlone_AReadScopeIsRecomputed(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, fabrikam;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            fabrikam = await context.Db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
        }

        // Both instances read one clock the test moves: no waiting, and no margin for a slow machine to eat.
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var contosoAdmin = TenantScope.ForCustomer(contoso);
        await using (var earlier = For(database, clock: clock))
        {
            await Refresh(earlier, contosoAdmin, ReportKind.Dashboard);
            await Refresh(earlier, contosoAdmin, ReportKind.UserMigration);
            await Refresh(earlier, TenantScope.ForCustomer(fabrikam), ReportKind.Dashboard);
        }

        clock.Advance(TimeSpan.FromMinutes(6));
        // MaxAge 5 min, so every snapshot is now stale, and "recently read" is within 10 min (the default, twice MaxAge).
        await using var instance = For(database, maxAge: "00:05:00", recentlyRead: "00:10:00", clock: clock);
        var background = instance.GetRequiredService<ReportBackgroundRefresh>();
        Assert.Equal(0, await background.RunOnceAsync());

        var before = (await ReadAs(instance, contosoAdmin, r => r.GetDashboardAsync()))!;
        Assert.True(before.IsStale);
        // The scope and report that were read, and nothing else: not its other report, not the other customer.
        Assert.Equal(1, await background.RunOnceAsync());
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var computed = await context.Db.Set<ReportSnapshot>().OrderBy(r => r.ComputedAt).Select(r => new { r.CustomerId, r.Kind }).ToListAsync();
            Assert.Equal(new { CustomerId = (long?)contoso, Kind = ReportKind.Dashboard }, computed[^1]);
        }

        Assert.Equal(before.Figures.Users, (await ReadAs(instance, contosoAdmin, r => r.GetDashboardAsync()))!.Figures.Users);

        // Still read recently, but fresh now: nothing to do.
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, await background.RunOnceAsync());
        // Stale again while the read is under 10 minutes old: recomputed once more.
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await background.RunOnceAsync());
        // Once the read is older than twice MaxAge, the scope is no longer kept fresh, stale or not.
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await background.RunOnceAsync());
    }
}
