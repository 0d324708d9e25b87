using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Users;

/// <summary>
/// Careless clicks: bulk and single actions never lock, deactivate or revoke the actor, and never leave a customer or
/// the platform without an active admin; the preview names exactly whom the run then skips. On both databases.
/// </summary>
public class AdminSafeguardsTests
{
    private static UserBulkService Bulk(TestDatabase database, AsyncServiceScope scope)
    {
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        return new UserBulkService(factory, new UserService(factory, TimeProvider.System), new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()), new UserSyncNotifier(), TimeProvider.System, new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));
    }

    private static UserSupportService Support(TestDatabase database, AsyncServiceScope scope) => new(
        scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
        new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()),
        new UserSyncNotifier(),
        TimeProvider.System,
        new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));

    private sealed record Person(long Id, long CustomerId, string Customer, string Name, PortalRole? Role);

    private static async Task<List<Person>> AdminsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Users.Where(u => u.PortalRole == PortalRole.PlatformAdmin || u.PortalRole == PortalRole.CustomerAdmin)
            .OrderBy(u => u.Id).Select(u => new Person(u.Id, u.CustomerId, u.Customer!.Name, u.DisplayName, u.PortalRole)).ToListAsync();
    }

    private static TenantScope PlatformAdmin(Person person) => new(person.Name, person.Id, PortalRoles.PlatformAdmin, null, null, true);

    private static TenantScope CustomerAdmin(Person person) => new(person.Name, person.Id, PortalRoles.CustomerAdmin, person.CustomerId, null, false);

    private static async Task<bool> IsLockedAsync(TestDatabase database, long id)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Users.Where(u => u.Id == id).Select(u => u.IsLocked).SingleAsync();
    }

    private static async Task<int> AuditCountAsync(TestDatabase database, long id, string action)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.AuditLog.CountAsync(a => a.EntityId == id && a.Action == action);
    }

    private static string Text(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Theory, BothProviders]
    public async Task BulkLock_EveryoneAsPlatformAdmin_SkipsSelfAndEachCustomersLastAdmin(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var admins = await AdminsAsync(database);
        var me = admins.Single(a => a.Role == PortalRole.PlatformAdmin);
        await using var scope = database.Scope(PlatformAdmin(me));
        var bulk = Bulk(database, scope);
        var target = new BulkTarget(new UserFilter(), null);

        var preview = await bulk.PreviewWithExclusionsAsync(BulkAction.Lock, target);
        // Small batches, so that the admins fall into different batches, as "all matching the filter" would.
        var outcome = await bulk.RunAsync(BulkAction.Lock, target, batchSize: 4);

        var expected = new List<(string, string)> { (Text(me.Id), AdminSafeguards.SelfReason(GuardedAction.Lock)) };
        expected.AddRange(admins.Where(a => a.Role == PortalRole.CustomerAdmin).Select(a => (Text(a.Id), AdminSafeguards.LastCustomerAdminReason(a.Customer))));
        Assert.Equal(expected.Order(), preview.Excluded.Select(e => (e.UserId, e.Reason)).Order());
        Assert.Equal(preview.Excluded.Select(e => (e.UserId, e.Reason)).Order(), outcome.Excluded.Select(e => (e.UserId, e.Reason)).Order());
        Assert.Equal(preview.Affected, outcome.Done);
        foreach (var admin in admins)
        {
            Assert.False(await IsLockedAsync(database, admin.Id), $"{admin.Name} ({admin.Role}) was locked: the bulk lock must leave the actor and the last admins alone.");
            Assert.Equal(0, await AuditCountAsync(database, admin.Id, "bulk_lock"));
        }

        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(admins.Count, await context.Db.Users.CountAsync(u => !u.IsLocked));
        Assert.Equal(outcome.Done, await context.Db.AuditLog.CountAsync(a => a.Action == "bulk_lock"));
    }

    [Theory, BothProviders]
    public async Task BulkLock_AsCustomerAdmin_KeepsTheLastPlatformAdminAndSelf(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var admins = await AdminsAsync(database);
        var platform = admins.Single(a => a.Role == PortalRole.PlatformAdmin);
        // The platform admin belongs to a customer; its customer admin can see (and select) them.
        var me = admins.Single(a => a.Role == PortalRole.CustomerAdmin && a.CustomerId == platform.CustomerId);
        await using var scope = database.Scope(CustomerAdmin(me));
        var bulk = Bulk(database, scope);
        var target = new BulkTarget(new UserFilter(), [Text(me.Id), Text(platform.Id)]);

        var preview = await bulk.PreviewWithExclusionsAsync(BulkAction.Lock, target);
        var outcome = await bulk.RunAsync(BulkAction.Lock, target);

        Assert.Equal(0, preview.Affected);
        Assert.Equal(
            new[] { (Text(me.Id), AdminSafeguards.SelfReason(GuardedAction.Lock)), (Text(platform.Id), AdminSafeguards.LastPlatformAdminReason) }.Order(),
            outcome.Excluded.Select(e => (e.UserId, e.Reason)).Order());
        Assert.False(await IsLockedAsync(database, platform.Id), "The last platform admin was locked.");
        Assert.False(await IsLockedAsync(database, me.Id), "The acting customer admin locked themselves.");
    }

    [Theory, BothProviders]
    public async Task BulkLock_TwoAdminsOfOneCustomerInDifferentBatches_LocksOneAndKeepsTheOther(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var admins = await AdminsAsync(database);
        var first = admins.First(a => a.Role == PortalRole.CustomerAdmin);
        long second;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var promoted = await context.Db.Users.Where(u => u.CustomerId == first.CustomerId && u.PortalRole == null && u.IsActive && !u.IsLocked).OrderByDescending(u => u.Id).FirstAsync();
            promoted.PortalRole = PortalRole.CustomerAdmin;
            await context.Db.SaveChangesAsync();
            second = promoted.Id;
        }

        // No actor id: a customer-wide run by somebody who is not among the targets.
        await using var scope = database.Scope(TenantScope.ForCustomer(first.CustomerId, "careless@example.test"));
        var bulk = Bulk(database, scope);
        var target = new BulkTarget(new UserFilter(), null);

        var preview = await bulk.PreviewWithExclusionsAsync(BulkAction.Lock, target);
        var outcome = await bulk.RunAsync(BulkAction.Lock, target, batchSize: 3);

        long kept = Math.Max(first.Id, second);
        var excludedHere = outcome.Excluded.Where(e => e.Reason == AdminSafeguards.LastCustomerAdminReason(first.Customer)).ToList();
        Assert.Equal([Text(kept)], excludedHere.Select(e => e.UserId));
        Assert.Equal(preview.Excluded.Select(e => (e.UserId, e.Reason)).Order(), outcome.Excluded.Select(e => (e.UserId, e.Reason)).Order());
        Assert.True(await IsLockedAsync(database, Math.Min(first.Id, second)), "One of two customer admins may be locked.");
        Assert.False(await IsLockedAsync(database, kept), "The customer's last active admin was locked.");
    }

    [Theory, BothProviders]
    public async Task BulkRevokeTokens_EveryoneAsPlatformAdmin_SkipsOnlySelf(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var admins = await AdminsAsync(database);
        var me = admins.Single(a => a.Role == PortalRole.PlatformAdmin);
        await using var scope = database.Scope(PlatformAdmin(me));
        var bulk = Bulk(database, scope);
        var target = new BulkTarget(new UserFilter(), null);

        var preview = await bulk.PreviewWithExclusionsAsync(BulkAction.RevokeTokens, target);
        var outcome = await bulk.RunAsync(BulkAction.RevokeTokens, target, batchSize: 7);

        Assert.Equal([(Text(me.Id), AdminSafeguards.SelfReason(GuardedAction.RevokeTokens))], preview.Excluded.Select(e => (e.UserId, e.Reason)));
        Assert.Equal(preview.Excluded, outcome.Excluded);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Null(await context.Db.Users.Where(u => u.Id == me.Id).Select(u => u.TokensRevokedAt).SingleAsync());
        Assert.Equal(1, await context.Db.Users.CountAsync(u => u.TokensRevokedAt == null));
    }

    [Theory, BothProviders]
    public async Task SingleActions_OnSelf_AreRefusedWithAClearMessage(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var me = (await AdminsAsync(database)).First(a => a.Role == PortalRole.CustomerAdmin);
        await using var scope = database.Scope(CustomerAdmin(me));
        var support = Support(database, scope);

        var lockResult = await support.SetLockedAsync(me.Id, true);
        var revokeResult = await support.RevokeTokensAsync(me.Id);
        var detail = (await support.GetAsync(me.Id))!;
        var deactivateResult = await support.UpdateProfileAsync(me.Id, new ProfileEdit { DisplayName = detail.DisplayName, Email = detail.Email, SiteId = detail.SiteId, IsActive = false, Version = detail.Version });

        Assert.Equal("You cannot lock yourself. Another admin can do it if it is needed.", lockResult.Errors.GetValueOrDefault("Action"));
        Assert.Equal("You cannot revoke your own tokens here; sign out instead.", revokeResult.Errors.GetValueOrDefault("Action"));
        Assert.Equal("You cannot deactivate yourself. Another admin can do it if it is needed.", deactivateResult.Errors.GetValueOrDefault(nameof(ProfileEdit.IsActive)));
        await using var context = await database.ContextAsync(TenantScope.System());
        var stored = await context.Db.Users.SingleAsync(u => u.Id == me.Id);
        Assert.True(stored is { IsLocked: false, IsActive: true, TokensRevokedAt: null }, "A refused action changed the actor.");
        Assert.Equal(0, await context.Db.AuditLog.CountAsync(a => a.EntityId == me.Id && (a.Action == "lock" || a.Action == "revoke_tokens" || a.Action == "updated")));
    }

    [Theory, BothProviders]
    public async Task SingleActions_OnTheLastCustomerAdmin_AreRefused_AndAllowedOnceAnotherAdminExists(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var admins = await AdminsAsync(database);
        var last = admins.First(a => a.Role == PortalRole.CustomerAdmin);
        var platform = admins.Single(a => a.Role == PortalRole.PlatformAdmin);
        await using var scope = database.Scope(PlatformAdmin(platform));
        var support = Support(database, scope);

        var refusedLock = await support.SetLockedAsync(last.Id, true);
        var detail = (await support.GetAsync(last.Id))!;
        var refusedDeactivation = await support.UpdateProfileAsync(last.Id, new ProfileEdit { DisplayName = detail.DisplayName, Email = detail.Email, SiteId = detail.SiteId, IsActive = false, Version = detail.Version });
        // Revoking signs them out once; they stay an admin, so it is allowed.
        var revoke = await support.RevokeTokensAsync(last.Id);

        string expected = $"Last active admin of {last.Customer}: make another user an admin first, so that somebody can still manage it.";
        Assert.Equal(expected, refusedLock.Errors.GetValueOrDefault("Action"));
        Assert.Equal(expected, refusedDeactivation.Errors.GetValueOrDefault(nameof(ProfileEdit.IsActive)));
        Assert.True(revoke.Succeeded);
        Assert.False(await IsLockedAsync(database, last.Id));
        Assert.Equal(0, await AuditCountAsync(database, last.Id, "lock"));

        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var another = await context.Db.Users.FirstAsync(u => u.CustomerId == last.CustomerId && u.PortalRole == null && u.IsActive && !u.IsLocked);
            another.PortalRole = PortalRole.CustomerAdmin;
            await context.Db.SaveChangesAsync();
        }

        var allowed = await support.SetLockedAsync(last.Id, true);
        Assert.True(allowed.Succeeded, string.Join("; ", allowed.Errors.Values));
        Assert.True(await IsLockedAsync(database, last.Id));
        Assert.Equal(1, await AuditCountAsync(database, last.Id, "lock"));
    }

    [Theory, BothProviders]
    public async Task Lock_TwoAdminsLockEachOtherAtOnce_OneIsRefusedAndTheCustomerKeepsAnAdmin(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var first = (await AdminsAsync(database)).First(a => a.Role == PortalRole.CustomerAdmin);
        Person second;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var promoted = await context.Db.Users.FirstAsync(u => u.CustomerId == first.CustomerId && u.PortalRole == null && u.IsActive && !u.IsLocked);
            promoted.PortalRole = PortalRole.CustomerAdmin;
            await context.Db.SaveChangesAsync();
            second = first with { Id = promoted.Id, Name = promoted.DisplayName };
        }

        // Each admin locks the other in the same instant: each alone would be allowed, both together would strand the customer.
        await using var firstScope = database.Scope(CustomerAdmin(first));
        await using var secondScope = database.Scope(CustomerAdmin(second));
        using var start = new SemaphoreSlim(0, 2);
        var byFirst = Task.Run(async () => { await start.WaitAsync(); return await Support(database, firstScope).SetLockedAsync(second.Id, true); });
        var bySecond = Task.Run(async () => { await start.WaitAsync(); return await Support(database, secondScope).SetLockedAsync(first.Id, true); });
        start.Release(2);
        var results = await Task.WhenAll(byFirst, bySecond);

        Assert.Equal(1, results.Count(r => r.Succeeded));
        Assert.Contains(results, r => r.Errors.GetValueOrDefault("Action")?.StartsWith("Last active admin of", StringComparison.Ordinal) == true);
        await using var after = await database.ContextAsync(TenantScope.System());
        Assert.Equal(1, await after.Db.Users.CountAsync(u => u.CustomerId == first.CustomerId && u.PortalRole == PortalRole.CustomerAdmin && u.IsActive && !u.IsLocked));
    }

    [Theory, BothProviders]
    public async Task DeactivateCustomer_OwnCustomerOrTheLastPlatformAdmins_IsRefused(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var admins = await AdminsAsync(database);
        var platform = admins.Single(a => a.Role == PortalRole.PlatformAdmin);
        var other = admins.First(a => a.CustomerId != platform.CustomerId);

        await using (var scope = database.Scope(PlatformAdmin(platform)))
        {
            var own = await new TenantAdminService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>()).SetCustomerActiveAsync(platform.CustomerId, false);
            Assert.StartsWith("You cannot deactivate your own customer", own.Errors.GetValueOrDefault("Action"));
            var elsewhere = await new TenantAdminService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>()).SetCustomerActiveAsync(other.CustomerId, false);
            Assert.True(elsewhere.Succeeded);
        }

        // Somebody who is not a user (a platform job): still may not strand the platform.
        await using (var scope = database.Scope(TenantScope.System("careless")))
        {
            var last = await new TenantAdminService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>()).SetCustomerActiveAsync(platform.CustomerId, false);
            Assert.StartsWith("This customer holds the last active platform admin", last.Errors.GetValueOrDefault("Action"));
        }

        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.True(await context.Db.Customers.Where(c => c.Id == platform.CustomerId).Select(c => c.IsActive).SingleAsync());
    }
}
