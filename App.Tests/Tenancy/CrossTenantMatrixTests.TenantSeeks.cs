using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Grid;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Tenancy;

public partial class CrossTenantMatrixTests
{
    /// <summary>
    /// The Tenant* sets of <see cref="PortalDbContext"/> (the hot reads' plain tenant equalities) give, for every scope,
    /// exactly the rows that the Tenant filter allows: a customer admin and support their customer's, an editor their
    /// site's, a platform admin every customer's and the platform-wide ones, nobody nothing. A foreign site's id in the
    /// posts grid's filter shows no row.
    /// </summary>
    [Theory, BothProviders]
    public async Task TenantSeekSets_EveryScope_GiveExactlyTheRowsTheFilterAllows(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var seeded = await TenantSeekTests.SeedManyTenantsAsync(database, posts: 300, auditEntries: 200, jobs: 60);
        List<Row> rows;
        long fabrikamSite;
        long otherContosoSite;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            system.Db.Jobs.Add(MatrixJob(null, null));
            await system.Db.SaveChangesAsync();
            rows = await AllRowsAsync(system.Db);
            fabrikamSite = await system.Db.Sites.Where(s => s.CustomerId == seeded.Fabrikam).Select(s => s.Id).FirstAsync();
            otherContosoSite = await system.Db.Sites.Where(s => s.CustomerId == seeded.Contoso && s.Id != seeded.ContosoSite).Select(s => s.Id).FirstAsync();
        }

        TenantScope[] scopes =
        [
            TenantScope.ForCustomer(seeded.Contoso, "customer-admin", PortalRoles.CustomerAdmin),
            TenantScope.ForCustomer(seeded.Contoso, "support", PortalRoles.Support),
            TenantScope.ForCustomer(seeded.Contoso, "editor", PortalRoles.Editor, seeded.ContosoSite),
            TenantScope.ForCustomer(seeded.Fabrikam, "fabrikam-admin", PortalRoles.CustomerAdmin),
            TenantScope.System("platform-admin"),
            TenantScope.None,
        ];
        var failures = new List<string>();
        foreach (var scope in scopes)
        {
            bool Expected(Row row) => scope.AllCustomers || (scope.CustomerId is not null && Readable(scope, row));
            List<long> Truth(Type type, bool includeTrash) => rows.Where(r => r.Type == type && (includeTrash || !r.Deleted) && Expected(r)).Select(r => r.Id).Order().ToList();
            await using var context = await database.ContextAsync(scope);
            var db = context.Db;
            var sets = new (string What, List<long> Actual, List<long> Expected)[]
            {
                ("posts", await db.TenantPosts.Select(p => p.Id).ToListAsync(), Truth(typeof(Post), false)),
                ("posts with the Trash", await db.TenantPosts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).Select(p => p.Id).ToListAsync(), Truth(typeof(Post), true)),
                ("sites", await db.TenantSites.Select(s => s.Id).ToListAsync(), Truth(typeof(Site), false)),
                ("audit log", await db.TenantAuditLog.Select(a => a.Id).ToListAsync(), Truth(typeof(AuditEntry), false)),
                ("jobs", await db.TenantJobs.Select(j => j.Id).ToListAsync(), Truth(typeof(App.Features.Jobs.BulkJob), false)),
                ("users", await db.TenantUsers.Select(u => u.Id).ToListAsync(), Truth(typeof(User), false)),
            };
            foreach (var (what, actual, expected) in sets)
            {
                if (!actual.Order().SequenceEqual(expected))
                {
                    failures.Add($"{scope.Actor} {what}: {actual.Count} rows, expected {expected.Count}; foreign: {actual.Except(expected).Count()}, missing: {expected.Except(actual).Count()}");
                }
            }

            // The sets are not empty for a tenant, so the comparison above says something.
            if (scope.CustomerId is not null && sets.Any(s => s.Expected.Count == 0 && s.What != "posts with the Trash"))
            {
                failures.Add($"{scope.Actor}: a set without rows: {string.Join(", ", sets.Where(s => s.Expected.Count == 0).Select(s => s.What))}");
            }

            // A tampered site id in the posts grid's filter: another customer's site (or, for the editor, another site
            // of the same customer) shows nothing, on every tab; the platform admin sees that site's posts.
            await using var postsScope = database.Scope(scope);
            var posts = new PostQueries(postsScope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
            long foreignSite = scope.SiteId is not null ? otherContosoSite : scope.CustomerId == seeded.Fabrikam ? seeded.ContosoSite : fabrikamSite;
            foreach (var tab in Enum.GetValues<PostTab>())
            {
                var page = await posts.GetPageAsync(new PostFilter(tab, SiteId: foreignSite), new PageRequest(Size: 25));
                if (scope.AllCustomers != (page.Rows.Count > 0) && !(scope.AllCustomers && tab == PostTab.Trash && page.Rows.Count == 0))
                {
                    failures.Add($"{scope.Actor}: posts of site {foreignSite} on {tab}: {page.Rows.Count} rows");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
