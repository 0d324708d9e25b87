using System.Text.Json;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static AdminPortal.Tests.Features.Reports.ReportTestServices;

namespace AdminPortal.Tests.Features.Reports;

/// <summary>The report snapshots against the live queries that compute them, on SQLite and PostgreSQL.</summary>
public class ReportServiceTests
{
    private static async Task<(long Contoso, long Fabrikam, long ContosoSite)> TenantsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        long contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        long fabrikam = await context.Db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
        long site = await context.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();
        return (contoso, fabrikam, site);
    }

    private static Task<DashboardSummary> LiveDashboardAsync(IServiceProvider services, TenantScope scope) =>
        As(services, scope, provider => provider.GetRequiredService<DashboardService>().GetSummaryAsync());

    private static Task<List<MigrationBucket>> LiveMigrationAsync(IServiceProvider services, TenantScope scope) =>
        As(services, scope, provider => provider.GetRequiredService<UserService>().GetMigrationAsync());

    [Theory, BothProviders]
    public async Task Snapshot_EveryScope_EqualsTheLiveQuery(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam, contosoSite) = await TenantsAsync(database);
        await using var services = For(database);

        TenantScope[] scopes = [TenantScope.System("platform admin"), TenantScope.ForCustomer(contoso), TenantScope.ForCustomer(fabrikam), TenantScope.ForCustomer(contoso, "editor", PortalRoles.Editor, contosoSite)];
        foreach (var scope in scopes)
        {
            Assert.Null(await ReadAs(services, scope, r => r.GetDashboardAsync()));
            Assert.Null(await ReadAs(services, scope, r => r.GetMigrationAsync()));
            await Refresh(services, scope, ReportKind.Dashboard);
            await Refresh(services, scope, ReportKind.UserMigration);

            var dashboard = await ReadAs(services, scope, r => r.GetDashboardAsync());
            var migration = await ReadAs(services, scope, r => r.GetMigrationAsync());

            Assert.NotNull(dashboard);
            Assert.NotNull(migration);
            Assert.Equal(JsonSerializer.Serialize(await LiveDashboardAsync(services, scope)), JsonSerializer.Serialize(dashboard.Figures));
            Assert.Equal(await LiveMigrationAsync(services, scope), migration.Figures);
            Assert.True(migration.Figures.Sum(b => b.Total) > 0, $"{scope.Label}: the seed has users that sign in somehow");
            Assert.False(dashboard.IsStale);
            Assert.False(dashboard.DatabaseUnavailable);
            Assert.InRange(dashboard.AsOf, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddSeconds(1));
        }

        // Each scope has its own row; a scope's figures are not another's.
        await using var system = await database.ContextAsync(TenantScope.System());
        Assert.Equal(8, await system.Db.Set<ReportSnapshot>().CountAsync());
        var all = await ReadAs(services, TenantScope.System(), r => r.GetDashboardAsync());
        var fabrikamOnly = await ReadAs(services, TenantScope.ForCustomer(fabrikam), r => r.GetDashboardAsync());
        Assert.Equal(2, all!.Figures.Customers.Value);
        Assert.Equal(1, fabrikamOnly!.Figures.Customers.Value);
        Assert.True(fabrikamOnly.Figures.Users.Value < all.Figures.Users.Value);
    }

    [Theory, BothProviders]
    public async Task Refresh_AfterAChange_ShowsTheChange_AndNotBefore(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _, contosoSite) = await TenantsAsync(database);
        await using var services = For(database);
        var admin = TenantScope.ForCustomer(contoso);
        await Refresh(services, admin, ReportKind.Dashboard);
        await Refresh(services, admin, ReportKind.UserMigration);
        var before = (await ReadAs(services, admin, r => r.GetMigrationAsync()))!;
        var dashboardBefore = (await ReadAs(services, admin, r => r.GetDashboardAsync()))!;

        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            context.Db.Users.Add(new User
            {
                CustomerId = contoso, SiteId = contosoSite, Email = "legacy.new@contoso.example", DisplayName = "Legacy <b>New</b>",
                PasswordHash = "$2a$12$legacy", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, Version = 1,
            });
            await context.Db.SaveChangesAsync();
        }

        // The page reads the snapshot: the change is not there yet, and the "as of" has not moved.
        var unchanged = (await ReadAs(services, admin, r => r.GetMigrationAsync()))!;
        Assert.Equal(before.Figures, unchanged.Figures);
        Assert.Equal(before.AsOf, unchanged.AsOf);

        await Refresh(services, admin, ReportKind.Dashboard);
        await Refresh(services, admin, ReportKind.UserMigration);

        var after = (await ReadAs(services, admin, r => r.GetMigrationAsync()))!;
        var dashboardAfter = (await ReadAs(services, admin, r => r.GetDashboardAsync()))!;
        string site = contosoSite.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(before.Figures.Single(b => b.SiteId == site).LegacyOnly + 1, after.Figures.Single(b => b.SiteId == site).LegacyOnly);
        Assert.Equal(dashboardBefore.Figures.Users.Value + 1, dashboardAfter.Figures.Users.Value);
        Assert.True(after.AsOf >= before.AsOf);
        Assert.Equal(await LiveMigrationAsync(services, admin), after.Figures);
    }

    [Theory, BothProviders]
    public async Task GetMigration_SiteRenamedOrAddedAfterTheSnapshot_ShowsTheCurrentNames(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _, contosoSite) = await TenantsAsync(database);
        await using var services = For(database);
        var admin = TenantScope.ForCustomer(contoso);
        await Refresh(services, admin, ReportKind.UserMigration);
        const string Hostile = "<script>alert(1)</script> Renamed";
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var site = await context.Db.Sites.SingleAsync(s => s.Id == contosoSite);
            site.Name = Hostile;
            await context.Db.SaveChangesAsync();
        }

        var view = (await ReadAs(services, admin, r => r.GetMigrationAsync()))!;

        Assert.Contains(view.Figures, b => b.Site == Hostile && b.Total > 0);
    }

    [Theory, BothProviders]
    public async Task Snapshot_OlderThanMaxAge_IsStaleAndTheBackgroundRecomputesItOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _, _) = await TenantsAsync(database);
        var admin = TenantScope.ForCustomer(contoso);
        await using (var fresh = For(database))
        {
            await Refresh(fresh, admin, ReportKind.Dashboard);
            Assert.False((await ReadAs(fresh, admin, r => r.GetDashboardAsync()))!.IsStale);
            Assert.Equal(0, await fresh.GetRequiredService<ReportBackgroundRefresh>().RunOnceAsync());
        }

        await Task.Delay(50);
        await using var instanceA = For(database, maxAge: "00:00:00.010");
        await using var instanceB = For(database, maxAge: "00:00:00.010");
        var stale = (await ReadAs(instanceA, admin, r => r.GetDashboardAsync()))!;
        Assert.True(stale.IsStale);

        // Instance B holds a claim on the stale snapshot: instance A leaves it alone.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Set<ReportSnapshot>().ExecuteUpdateAsync(set => set.SetProperty(r => r.RefreshClaimedAt, DateTime.UtcNow));
        }

        Assert.Equal(0, await instanceA.GetRequiredService<ReportBackgroundRefresh>().RunOnceAsync());

        // A claim older than the timeout is void (its instance died): the snapshot is recomputed, and the claim cleared.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Set<ReportSnapshot>().ExecuteUpdateAsync(set => set.SetProperty(r => r.RefreshClaimedAt, DateTime.UtcNow - ReportBackgroundRefresh.ClaimTimeout - TimeSpan.FromMinutes(1)));
        }

        Assert.Equal(1, await instanceA.GetRequiredService<ReportBackgroundRefresh>().RunOnceAsync());
        var recomputed = (await ReadAs(instanceB, admin, r => r.GetDashboardAsync()))!;
        Assert.True(recomputed.AsOf > stale.AsOf);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Null(await context.Db.Set<ReportSnapshot>().Select(r => r.RefreshClaimedAt).SingleAsync());
        }
    }

    [Theory, BothProviders]
    public async Task Upsert_TwoComputationsAtOnce_LeaveOneRowWithTheNewestFigures(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _, _) = await TenantsAsync(database);
        DateTime now = DateTime.UtcNow;
        ReportSnapshot Snapshot(string payload, DateTime at) => new()
        {
            Id = TimeOrderedId.Next(), ScopeKey = $"customer:{contoso}", Kind = ReportKind.Dashboard, CustomerId = contoso,
            Payload = payload, ComputedAt = at, ComputeMilliseconds = 5,
        };

        async Task UpsertAsync(ReportSnapshot snapshot)
        {
            await using var context = await database.ContextAsync(TenantScope.System());
            await ReportRefresher.UpsertAsync(context.Db, snapshot);
        }

        // Two instances finish at the same moment; then an older computation finishes last.
        await Task.WhenAll(UpsertAsync(Snapshot("{\"n\":1}", now.AddSeconds(-2))), UpsertAsync(Snapshot("{\"n\":2}", now)));
        await UpsertAsync(Snapshot("{\"n\":0}", now.AddSeconds(-5)));

        await using var system = await database.ContextAsync(TenantScope.System());
        var row = await system.Db.Set<ReportSnapshot>().SingleAsync();
        Assert.Equal("{\"n\":2}", row.Payload);
        Assert.Equal(now, DateTime.SpecifyKind(row.ComputedAt, DateTimeKind.Utc), TimeSpan.FromMilliseconds(1));
    }

    [Theory, BothProviders]
    public async Task Refresh_TwiceAtOnceInOneInstance_RunsOneComputation_AndTheRateLimitReturnsTheRecentOne(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _, _) = await TenantsAsync(database);
        await using var services = For(database);
        var refresher = services.GetRequiredService<ReportRefresher>();
        var admin = TenantScope.ForCustomer(contoso);

        var first = refresher.RefreshAsync(admin, ReportKind.UserMigration);
        var second = refresher.RefreshAsync(admin, ReportKind.UserMigration);
        Assert.Same(first, second);
        var snapshot = await first;

        var limited = new ReportRefresher(services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ReportRefresher>.Instance,
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Reports:MinRefreshInterval"] = "00:01:00" }).Build());
        var computed = await limited.RefreshAsync(admin, ReportKind.UserMigration);
        var again = await limited.RefreshAsync(admin, ReportKind.UserMigration);
        Assert.Same(computed, again);
        Assert.True(computed.ComputedAt >= snapshot.ComputedAt);
    }
}
