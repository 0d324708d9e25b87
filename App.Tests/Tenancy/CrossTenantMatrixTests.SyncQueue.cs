using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Features.Jobs;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.Tests.Tenancy;

public partial class CrossTenantMatrixTests
{
    /// <summary>
    /// The Jobs page's sync queue read (SyncQueueService.GetAsync) for every kind of viewer: its counts and claimers
    /// are exactly those of the users the viewer may read, by the matrix's own ownership rule, and it writes nothing.
    /// Fabrikam's claimers carry markup-like names; contoso's viewers never see them.
    /// </summary>
    [Theory, BothProviders]
    public async Task SyncQueue_EveryViewer_CountsOnlyReadableUsers_AndWritesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var customers = await SyncQueueTests.SeedQueueAsync(database);
        var now = DateTime.UtcNow;
        List<(Row Row, SyncStatus Status, bool Waiting, string? LiveClaim)> users;
        long contosoSite;
        int auditBefore;
        await using (var system = await database.ContextAsync(TenantScope.System()))
        {
            users = (await system.Db.Users.AsNoTracking()
                    .Select(u => new { u.Id, u.CustomerId, u.SiteId, u.SyncStatus, u.InvitedAt, u.InvitationAcceptedAt, u.SyncClaimedBy, u.SyncClaimedUntil }).ToListAsync())
                .Select(u => (new Row(typeof(User), u.Id, new Owner(u.CustomerId, u.SiteId), false), u.SyncStatus,
                    u.SyncStatus == SyncStatus.Pending && (u.InvitedAt == null || u.InvitationAcceptedAt != null),
                    u.SyncClaimedUntil > now ? u.SyncClaimedBy : null))
                .ToList();
            contosoSite = await system.Db.Users.Where(u => u.CustomerId == customers["contoso"] && u.SyncStatus == SyncStatus.Pending)
                .Select(u => u.SiteId).FirstAsync();
            auditBefore = await system.Db.AuditLog.CountAsync();
        }

        TenantScope[] viewers =
        [
            TenantScope.ForCustomer(customers["contoso"]),
            TenantScope.ForCustomer(customers["contoso"], role: PortalRoles.Support),
            TenantScope.ForCustomer(customers["contoso"], role: PortalRoles.Editor, siteId: contosoSite),
            TenantScope.ForCustomer(customers["fabrikam"]),
            new TenantScope("platform", null, PortalRoles.PlatformAdmin, null, null, true),
            new TenantScope("platform", null, PortalRoles.PlatformAdmin, customers["fabrikam"], null, false), // narrowed by the tenant switch
            TenantScope.None,
        ];
        foreach (var viewer in viewers)
        {
            var readable = users.Where(u => viewer.IsResolved && (viewer.AllCustomers || Readable(viewer, u.Row))).ToList();
            await using var scope = database.Scope(viewer);
            var status = await SyncQueueTests.Service(scope.ServiceProvider).GetAsync();

            string who = $"{viewer.Role} of {viewer.CustomerId?.ToString() ?? "all"} (site {viewer.SiteId})";
            Assert.True(readable.Count(u => u.Waiting) == status.Pending, who);
            Assert.True(readable.Count(u => u.Status == SyncStatus.Failed) == status.Failed, who);
            var claimers = readable.Where(u => u.Waiting && u.LiveClaim is not null).GroupBy(u => u.LiveClaim!.Split('#')[0])
                .Select(g => (g.Key, g.Count())).Order().ToList();
            Assert.Equal(claimers, status.Claims.Select(c => (c.Instance, c.Users)).Order().ToList());
            if (viewer.CustomerId == customers["contoso"])
            {
                Assert.DoesNotContain(status.Claims, c => c.Instance.Contains("fabrikam", StringComparison.Ordinal));
            }
        }

        await using var after = await database.ContextAsync(TenantScope.System());
        Assert.Equal(auditBefore, await after.Db.AuditLog.CountAsync());
        Assert.Equal(users.Count(u => u.LiveClaim is not null), await after.Db.Users.CountAsync(u => u.SyncClaimedUntil > now));
    }
}
