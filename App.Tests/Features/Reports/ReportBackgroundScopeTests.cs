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

        var contosoAdmin = TenantScope.ForCustomer(contoso);
        await using (var earlier = For(database))
        {
            await Refresh(earlier, contosoAdmin, ReportKind.Dashboard);
            await Refresh(earlier, contosoAdmin, ReportKind.UserMigration);
            await Refresh(earlier, TenantScope.ForCustomer(fabrikam), ReportKind.Dashboard);
        }

        await Task.Delay(300);
        // MaxAge 250 ms, so every snapshot is stale, and "recently read" is within 500 ms (the default, twice MaxAge).
        await using var instance = For(database, maxAge: "00:00:00.250", recentlyRead: "00:00:00.500");
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

        // Once the read is older than twice MaxAge, the scope is no longer kept fresh.
        await Task.Delay(1000);
        Assert.Equal(0, await background.RunOnceAsync());
    }
}
