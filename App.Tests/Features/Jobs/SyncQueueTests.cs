using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Jobs;

/// <summary>The sync queue's figures on the Jobs page, on both databases: the viewer's tenant only, claims by instance.</summary>
public class SyncQueueTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// Every user synced and unclaimed, then in each of contoso and fabrikam: 4 pending (2 held by a live claim of
    /// instance "&lt;slug&gt;-a", 1 by "&lt;slug&gt;-b", 1 by a claim whose lease ran out), 1 pending invitation nobody
    /// accepted (not waiting: the worker leaves it), 2 failed; fabrikam's claimers carry a hostile-looking name.
    /// </summary>
    internal static async Task<Dictionary<string, long>> SeedQueueAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var db = context.Db;
        await db.Users.ExecuteUpdateAsync(set => set.SetProperty(u => u.SyncStatus, SyncStatus.Synced)
            .SetProperty(u => u.SyncClaimedBy, (string?)null).SetProperty(u => u.SyncClaimedUntil, (DateTime?)null));
        var now = DateTime.UtcNow;
        var customers = new Dictionary<string, long>();
        foreach (string slug in new[] { "contoso", "fabrikam" })
        {
            long customerId = await db.Customers.Where(c => c.Slug == slug).Select(c => c.Id).SingleAsync();
            customers[slug] = customerId;
            var ids = await db.Users.Where(u => u.CustomerId == customerId && u.InvitedAt == null).OrderBy(u => u.Id).Select(u => u.Id).Take(7).ToListAsync();
            Assert.Equal(7, ids.Count);
            string instance = slug == "fabrikam" ? "<b>fabrikam</b>" : slug;
            async Task Set(long id, SyncStatus status, string? claim = null, DateTime? until = null, bool invitation = false) =>
                await db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(set => set
                    .SetProperty(u => u.SyncStatus, status)
                    .SetProperty(u => u.SyncClaimedBy, claim)
                    .SetProperty(u => u.SyncClaimedUntil, until)
                    .SetProperty(u => u.InvitedAt, u => invitation ? now : u.InvitedAt)
                    .SetProperty(u => u.InvitationAcceptedAt, u => invitation ? null : u.InvitationAcceptedAt));
            await Set(ids[0], SyncStatus.Pending, $"{instance}-a#round1", now.AddMinutes(5));
            await Set(ids[1], SyncStatus.Pending, $"{instance}-a#round1", now.AddMinutes(5));
            await Set(ids[2], SyncStatus.Pending, $"{instance}-b#round7", now.AddMinutes(5));
            await Set(ids[3], SyncStatus.Pending, $"{instance}-gone#round3", now.AddMinutes(-1)); // its instance died: waiting again
            await Set(ids[4], SyncStatus.Pending, invitation: true);
            await Set(ids[5], SyncStatus.Failed);
            await Set(ids[6], SyncStatus.Failed);
        }

        return customers;
    }

    internal static SyncQueueService Service(IServiceProvider scope, Dictionary<string, string?>? settings = null) =>
        new(scope.GetRequiredService<IDbContextFactory<PortalDbContext>>(), new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build(), TimeProvider.System);

    [Theory, BothProviders]
    public async Task Get_ForEachTenant_CountsOnlyItsOwnQueue_ClaimsByInstance_AndTheSettings(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var customers = await SeedQueueAsync(database);
        var settings = new Dictionary<string, string?> { ["Sync:BatchSize"] = "250", ["Sync:Parallelism"] = "16", ["Sync:Interval"] = "00:00:03" };

        await using (var scope = database.Scope(TenantScope.ForCustomer(customers["contoso"])))
        {
            var status = await Service(scope.ServiceProvider, settings).GetAsync();

            Assert.Equal(4, status.Pending); // not the invitation, not fabrikam's four
            Assert.Equal(3, status.Claimed); // the run-out lease is not "now"
            Assert.Equal([new SyncQueueClaim("contoso-a", 2), new SyncQueueClaim("contoso-b", 1)], status.Claims);
            Assert.Equal(2, status.Failed);
            Assert.Equal(new UserSyncSettings(250, TimeSpan.FromSeconds(3), 16, UserSyncSettings.DefaultLease), status.Settings);
            Assert.False(status.IsEmpty);
        }

        await using (var scope = database.Scope(TenantScope.ForCustomer(customers["fabrikam"], role: PortalRoles.Support)))
        {
            var status = await Service(scope.ServiceProvider).GetAsync();
            Assert.Equal((4, 3, 2), (status.Pending, status.Claimed, status.Failed));
            Assert.Equal(["<b>fabrikam</b>-a", "<b>fabrikam</b>-b"], status.Claims.Select(c => c.Instance));
        }

        // A platform admin's scope of all customers: both queues.
        await using (var scope = database.Scope(new TenantScope("platform", null, PortalRoles.PlatformAdmin, null, null, true)))
        {
            var status = await Service(scope.ServiceProvider).GetAsync();
            Assert.Equal((8, 6, 4), (status.Pending, status.Claimed, status.Failed));
            Assert.Equal(4, status.Claims.Count);
        }

        // Contoso's queue drained: the empty state there, fabrikam's queue untouched.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            await context.Db.Users.Where(u => u.CustomerId == customers["contoso"]).ExecuteUpdateAsync(set => set.SetProperty(u => u.SyncStatus, SyncStatus.Synced)
                .SetProperty(u => u.SyncClaimedBy, (string?)null).SetProperty(u => u.SyncClaimedUntil, (DateTime?)null));
        }

        await using (var scope = database.Scope(TenantScope.ForCustomer(customers["contoso"])))
        {
            var status = await Service(scope.ServiceProvider).GetAsync();
            Assert.True(status.IsEmpty);
            Assert.Equal((0, 0, 0), (status.Pending, status.Claimed, status.Failed));
            Assert.Empty(status.Claims);
        }

        await using (var scope = database.Scope(TenantScope.ForCustomer(customers["fabrikam"])))
        {
            Assert.Equal(4, (await Service(scope.ServiceProvider).GetAsync()).Pending);
        }

        // Nobody (an unresolved circuit) sees no queue at all.
        await using (var scope = database.Scope(TenantScope.None))
        {
            var status = await Service(scope.ServiceProvider).GetAsync();
            Assert.Equal((0, 0, 0), (status.Pending, status.Claimed, status.Failed));
        }
    }

    /// <summary>
    /// The embedded default plans before it sees the parameters: each of the three reads must still seek the tenant's
    /// (customer_id, sync_status, id) index (or the partial ix_users_sync_queue), never scan every user.
    /// </summary>
    [Fact]
    public async Task Get_OnSqlite_SeeksAnIndex_NeverScansTheUsers()
    {
        await using var database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        var customers = await SeedQueueAsync(database);
        var counter = new Grid.CommandCounter();
        await using var scope = database.Scope(TenantScope.ForCustomer(customers["contoso"]));

        var status = await new SyncQueueService(counter.Wrap(scope.ServiceProvider), new ConfigurationBuilder().Build(), TimeProvider.System).GetAsync();

        Assert.Equal((4, 3, 2), (status.Pending, status.Claimed, status.Failed));
        Assert.Equal(3, counter.Commands.Count);
        var problems = new List<string>();
        foreach (var (sql, parameters) in counter.Commands)
        {
            var lines = await AdminPortal.Tests.Infrastructure.SqlitePlan.LinesAsync(database.Options.ConnectionString!, sql, parameters);

            output.WriteLine(string.Join(" | ", lines));
            bool seeks = lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^SEARCH u USING (COVERING )?INDEX ix_users_customer_id_sync_status_id \(customer_id=\? AND sync_status=\?") || l.Contains("ix_users_sync_queue"));
            bool scans = lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^SCAN u\b") && !l.Contains("ix_users_sync_queue"));
            if (!seeks || scans)
            {
                problems.Add(sql + "\n" + string.Join("\n", lines));
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n\n", problems));
    }

    [Fact]
    public void InstanceOf_ClaimName_IsTheInstanceBeforeTheRound()
    {
        Assert.Equal("portal-a", SyncQueueService.InstanceOf("portal-a#0f3c"));
        Assert.Equal("host#7", SyncQueueService.InstanceOf("host#7#0f3c"));
        Assert.Equal("no-round", SyncQueueService.InstanceOf("no-round"));
    }
}
