using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Dashboard;

public class DashboardServiceTests
{
    private static DashboardService Service(AsyncServiceScope scope) =>
        new(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);

    [Theory, BothProviders]
    public async Task GetSummary_PlatformAdmin_CountsWhatTheDatabaseHolds(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var scope = database.Scope(TenantScope.System());

        var summary = await Service(scope).GetSummaryAsync();

        await using var context = await database.ContextAsync(TenantScope.System());
        var db = context.Db;
        Assert.Equal(new CappedCount(2, false), summary.Customers);
        Assert.Equal(new CappedCount(3, false), summary.Sites);
        Assert.Equal(new CappedCount(40, false), summary.Users);
        foreach (var status in Enum.GetValues<SyncStatus>())
        {
            Assert.Equal(await db.Users.CountAsync(u => u.SyncStatus == status), summary.UsersBySyncStatus[status].Value);
        }

        foreach (var status in Enum.GetValues<PostStatus>())
        {
            Assert.Equal(await db.Posts.CountAsync(p => p.Status == status), summary.PostsByStatus[status].Value);
        }

        Assert.Equal(await db.Posts.IgnoreQueryFilters([PortalDbContext.SoftDeleteFilter]).CountAsync(p => p.DeletedAt != null), summary.PostsInTrash.Value);
        Assert.Equal(DashboardService.SignInDays, summary.SignInsPerDay.Count);
        var from = DateTime.UtcNow.Date.AddDays(-(DashboardService.SignInDays - 1));
        Assert.Equal(await db.AuditLog.CountAsync(a => a.Action == AuditActions.SignIn && a.At >= from), summary.SignInsPerDay.Sum(d => d.Count));
        Assert.True(summary.SignInsPerDay.Sum(d => d.Count) > 0);
    }

    [Theory, BothProviders]
    public async Task GetSummary_CustomerAdmin_CountsOnlyTheirTenant(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long fabrikam;
        int fabrikamUsers;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            fabrikam = await context.Db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
            fabrikamUsers = await context.Db.Users.CountAsync(u => u.CustomerId == fabrikam);
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(fabrikam));
        var summary = await Service(scope).GetSummaryAsync();

        Assert.Equal(1, summary.Customers.Value);
        Assert.Equal(1, summary.Sites.Value);
        Assert.Equal(fabrikamUsers, summary.Users.Value);
        Assert.True(fabrikamUsers < 40);
    }

    [Theory, BothProviders]
    public async Task GetSummary_MoreRowsThanTheCap_ShowsACappedCount(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            // Past the cap with one set-based insert: the count must stop at 10,000 and say so.
            var site = await context.Db.Sites.FirstAsync();
            string sql = context.Db.Database.IsNpgsql()
                ? "INSERT INTO users (customer_id, site_id, email, display_name, login_count, sync_status, is_active, is_locked, created_at, updated_at, version) " +
                  "SELECT {0}, {1}, 'bulk' || g || '@example.test', 'Bulk ' || g, 0, 'pending', true, false, now(), now(), 1 FROM generate_series(1, 10001) AS g"
                : "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 10001) " +
                  "INSERT INTO users (id, customer_id, site_id, email, display_name, login_count, sync_status, is_active, is_locked, created_at, updated_at, version) " +
                  "SELECT 1000000 + n, {0}, {1}, 'bulk' || n || '@example.test', 'Bulk ' || n, 0, 'pending', 1, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1 FROM g";
            await context.Db.Database.ExecuteSqlRawAsync(sql, site.CustomerId, site.Id);
        }

        await using var scope = database.Scope(TenantScope.System());
        var summary = await Service(scope).GetSummaryAsync();

        Assert.Equal(new CappedCount(DashboardService.CountCap, true), summary.Users);
        Assert.Equal("10,000+", summary.Users.ToString());
    }
}
