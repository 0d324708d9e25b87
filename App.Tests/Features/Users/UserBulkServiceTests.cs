using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Users;

public class UserBulkServiceTests
{
    private static UserBulkService Service(TestDatabase database, AsyncServiceScope scope)
    {
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        return new UserBulkService(factory, new UserService(factory, TimeProvider.System), new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()), new UserSyncNotifier(), TimeProvider.System, new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));
    }

    private static async Task<long> CustomerAsync(TestDatabase database, string slug)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Customers.Where(c => c.Slug == slug).Select(c => c.Id).SingleAsync();
    }

    [Theory, BothProviders]
    public async Task Run_CancelledAfterTheFirstBatch_LeavesOnlyWholeBatchesDone(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await CustomerAsync(database, "contoso");
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso, "admin@contoso.example"));
        var bulk = Service(database, scope);
        var target = new BulkTarget(new UserFilter(), null);
        int preview = await bulk.PreviewAsync(BulkAction.Lock, target);
        int leftAlone = (await bulk.PreviewWithExclusionsAsync(BulkAction.Lock, target)).Excluded.Count;
        using var cancel = new CancellationTokenSource();
        var reports = new List<BulkProgress>();

        var outcome = await bulk.RunAsync(BulkAction.Lock, target, new SynchronousProgress(p =>
        {
            reports.Add(p);
            cancel.Cancel(); // the user presses Stop while the first batch is being saved
        }), cancel.Token, batchSize: 4);

        // The first batch of 4 holds Contoso's only customer admin, whom a lock leaves alone: 3 changed, 1 skipped.
        Assert.True(outcome.Cancelled);
        Assert.Equal(4, outcome.Done + outcome.Excluded.Count);
        Assert.Equal(preview, outcome.Total);
        Assert.Single(reports);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(outcome.Done, await context.Db.AuditLog.CountAsync(a => a.Action == "bulk_lock"));
        Assert.Equal(preview + leftAlone - outcome.Done, await context.Db.Users.CountAsync(u => u.CustomerId == contoso && !u.IsLocked));
    }

    [Theory, BothProviders]
    public async Task Run_WholeFilter_ChangesEveryMatchingUserOfTheTenantOnly(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await CustomerAsync(database, "contoso");
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var bulk = Service(database, scope);
        var target = new BulkTarget(new UserFilter(SyncStatus: SyncStatus.Failed), null);
        int failedElsewhere, unlinked;
        await using (var before = await database.ContextAsync(TenantScope.System()))
        {
            failedElsewhere = await before.Db.Users.CountAsync(u => u.CustomerId != contoso && u.SyncStatus == SyncStatus.Failed);
            // A retry needs a linked, enabled provider: enable Contoso's, and count those it still leaves alone.
            foreach (var system in await before.Db.CiamSystems.ToListAsync())
            {
                system.IsEnabled = true;
            }

            await before.Db.SaveChangesAsync();
            unlinked = await before.Db.Users.CountAsync(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed && !before.Db.UserCiamMappings.Any(m => m.UserId == u.Id));
        }

        int preview = await bulk.PreviewAsync(BulkAction.RetrySync, target);
        var outcome = await bulk.RunAsync(BulkAction.RetrySync, target, batchSize: 3);

        Assert.True(preview > 3);
        Assert.Equal((preview, preview, false), (outcome.Done, outcome.Total, outcome.Cancelled));
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(unlinked, await context.Db.Users.CountAsync(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed));
        Assert.Equal(failedElsewhere, await context.Db.Users.CountAsync(u => u.CustomerId != contoso && u.SyncStatus == SyncStatus.Failed));
    }

    [Theory, BothProviders]
    public async Task RetrySync_UsersWithoutALinkedEnabledProvider_AreLeftOut(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await CustomerAsync(database, "contoso");
        List<long> retriable;
        int failed;
        await using (var before = await database.ContextAsync(TenantScope.System()))
        {
            var db = before.Db;
            failed = await db.Users.CountAsync(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed);
            retriable = await db.Users.Where(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed && db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystem!.IsEnabled))
                .Select(u => u.Id).ToListAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var bulk = Service(database, scope);
        var target = new BulkTarget(new UserFilter(SyncStatus: SyncStatus.Failed), null);

        int preview = await bulk.PreviewAsync(BulkAction.RetrySync, target);
        var outcome = await bulk.RunAsync(BulkAction.RetrySync, target);

        // The seed's own providers are disabled: only the people linked to the development provider can be retried.
        Assert.NotEmpty(retriable);
        Assert.True(failed > retriable.Count);
        Assert.Equal(retriable.Count, preview);
        Assert.Equal(retriable.Count, outcome.Done);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(retriable.Count, await context.Db.Users.CountAsync(u => retriable.Contains(u.Id) && u.SyncStatus == SyncStatus.Pending));
        Assert.Equal(failed - retriable.Count, await context.Db.Users.CountAsync(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed));
    }

    [Theory, BothProviders]
    public async Task Run_Selection_IgnoresIdsOfAnotherTenant(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso = await CustomerAsync(database, "contoso");
        long fabrikam = await CustomerAsync(database, "fabrikam");
        List<string> own, foreign;
        List<long> foreignVersions;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            own = await context.Db.Users.Where(u => u.CustomerId == contoso).OrderBy(u => u.Id).Take(2).Select(u => u.Id.ToString()).ToListAsync();
            var foreignUsers = await context.Db.Users.Where(u => u.CustomerId == fabrikam).OrderBy(u => u.Id).Take(2).ToListAsync();
            foreign = foreignUsers.Select(u => u.Id.ToString()).ToList();
            foreignVersions = foreignUsers.Select(u => u.Version).ToList();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var outcome = await Service(database, scope).RunAsync(BulkAction.RevokeTokens, new BulkTarget(new UserFilter(), [.. own, .. foreign, "not-an-id"]));

        Assert.Equal(2, outcome.Done);
        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.Equal(2, await check.Db.Users.CountAsync(u => u.TokensRevokedAt != null && own.Contains(u.Id.ToString())));
        Assert.Equal(foreignVersions, await check.Db.Users.Where(u => u.CustomerId == fabrikam).OrderBy(u => u.Id).Take(2).Select(u => u.Version).ToListAsync());
    }

    /// <summary>Progress&lt;T&gt; posts to a thread pool; this one reports inline, so the test knows when it ran.</summary>
    private sealed class SynchronousProgress(Action<BulkProgress> report) : IProgress<BulkProgress>
    {
        public void Report(BulkProgress value) => report(value);
    }
}
