using AdminPortal.App.Data;
using AdminPortal.App.Features.Reports;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.Reports;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Tenancy;

public partial class CrossTenantMatrixTests
{
    /// <summary>One snapshot per customer, one for the platform and one for the first site, written as the refresher writes them.</summary>
    private static async Task ReportSnapshotsAsync(PortalDbContext db)
    {
        var customers = await db.Customers.AsNoTracking().Select(c => c.Id).ToListAsync();
        var site = await db.Sites.AsNoTracking().OrderBy(s => s.Id).FirstAsync();
        var scopes = customers.Select(c => TenantScope.ForCustomer(c)).Append(TenantScope.System()).Append(TenantScope.ForCustomer(site.CustomerId, siteId: site.Id));
        foreach (var scope in scopes)
        {
            await ReportRefresher.UpsertAsync(db, new ReportSnapshot
            {
                Id = TimeOrderedId.Next(), ScopeKey = ReportScopes.KeyOf(scope)!, Kind = ReportKind.Dashboard,
                CustomerId = scope.CustomerId, SiteId = scope.SiteId, Payload = "{}", ComputedAt = DateTime.UtcNow,
            });
        }
    }

    /// <summary>
    /// The report read paths (dashboard and migration view) and the refresh path, as each role of Contoso, a platform
    /// admin switched to Contoso, and the platform admin: each reads the snapshot of its own scope, and its figures are
    /// its scope's live figures, never another customer's or the platform's.
    /// </summary>
    [Theory, BothProviders]
    public async Task Reports_EachScopeReadsOnlyItsOwnSnapshot(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, fabrikam, contosoSite;
        int contosoUsers, siteUsers, allUsers;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await system.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            fabrikam = await system.Db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
            contosoSite = await system.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();
            contosoUsers = await system.Db.Users.CountAsync(u => u.CustomerId == contoso);
            siteUsers = await system.Db.Users.CountAsync(u => u.SiteId == contosoSite);
            allUsers = await system.Db.Users.CountAsync();
        }

        await using var services = ReportTestServices.For(database);

        // Fabrikam's and the platform's reports exist; Contoso's do not yet.
        await ReportTestServices.Refresh(services, TenantScope.ForCustomer(fabrikam), ReportKind.Dashboard);
        await ReportTestServices.Refresh(services, TenantScope.ForCustomer(fabrikam), ReportKind.UserMigration);
        await ReportTestServices.Refresh(services, TenantScope.System("platform admin"), ReportKind.Dashboard);
        await ReportTestServices.Refresh(services, TenantScope.System("platform admin"), ReportKind.UserMigration);

        var switched = new TenantScope("platform admin", null, PortalRoles.PlatformAdmin, contoso, null, false);
        (TenantScope Scope, int Users)[] viewers =
        [
            (TenantScope.ForCustomer(contoso, "customer-admin", PortalRoles.CustomerAdmin), contosoUsers),
            (TenantScope.ForCustomer(contoso, "support", PortalRoles.Support), contosoUsers),
            (TenantScope.ForCustomer(contoso, "editor", PortalRoles.Editor, contosoSite), siteUsers),
            (switched, contosoUsers),
        ];
        var contosoSites = new HashSet<string>();
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            contosoSites = (await system.Db.Sites.Where(s => s.CustomerId == contoso).Select(s => s.Id).ToListAsync()).Select(id => id.ToString()).ToHashSet();
        }

        var computed = new HashSet<string>();
        foreach (var (scope, users) in viewers)
        {
            string who = $"{scope.Role}{(scope.SiteId is null ? "" : " (site)")}";
            // Before its scope's first computation, it sees nothing: not Fabrikam's, not the platform's. Support and
            // a platform admin switched to Contoso share the customer admin's scope, so by then they share its report.
            if (computed.Add(ReportScopes.KeyOf(scope)!))
            {
                Assert.True(await ReportTestServices.ReadAs(services, scope, r => r.GetDashboardAsync()) is null, who);
                Assert.True(await ReportTestServices.ReadAs(services, scope, r => r.GetMigrationAsync()) is null, who);
            }

            await ReportTestServices.Refresh(services, scope, ReportKind.Dashboard);
            await ReportTestServices.Refresh(services, scope, ReportKind.UserMigration);
            var dashboard = (await ReportTestServices.ReadAs(services, scope, r => r.GetDashboardAsync()))!;
            var migration = (await ReportTestServices.ReadAs(services, scope, r => r.GetMigrationAsync()))!;
            Assert.True(users == dashboard.Figures.Users.Value, $"{who}: {dashboard.Figures.Users.Value} users, expected {users}");
            Assert.True(1 == dashboard.Figures.Customers.Value, who);
            Assert.True(migration.Figures.All(b => contosoSites.Contains(b.SiteId)), $"{who} sees another customer's site");
            Assert.True(users >= migration.Figures.Sum(b => b.Total), who);
            if (scope.SiteId is { } site)
            {
                Assert.True(migration.Figures.Single().SiteId == site.ToString(), who);
            }

            // The snapshot rows this scope can see through the query filters: its customer's only.
            await using var context = await database.ContextAsync(scope);
            Assert.True(await context.Db.Set<ReportSnapshot>().AllAsync(r => r.CustomerId == contoso), who);
        }

        // The platform's own figures were not overwritten by any of the above.
        var platform = (await ReportTestServices.ReadAs(services, TenantScope.System("platform admin"), r => r.GetDashboardAsync()))!;
        Assert.Equal(allUsers, platform.Figures.Users.Value);
        var fabrikamView = (await ReportTestServices.ReadAs(services, TenantScope.ForCustomer(fabrikam), r => r.GetDashboardAsync()))!;
        Assert.Equal(1, fabrikamView.Figures.Customers.Value);
        Assert.True(fabrikamView.Figures.Users.Value < allUsers);

        // A scope that sees nothing has no report and cannot start one.
        Assert.Null(await ReportTestServices.ReadAs(services, TenantScope.None, r => r.GetDashboardAsync()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => ReportTestServices.Refresh(services, TenantScope.None, ReportKind.Dashboard));
    }
}
