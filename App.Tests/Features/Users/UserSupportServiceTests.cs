using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.Users;

/// <summary>Every support action, its audit entry, its refusals, and the sync worker, on both databases.</summary>
public class UserSupportServiceTests
{
    private static UserSupportService Service(TestDatabase database, AsyncServiceScope scope) => new(
        scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
        new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()),
        new UserSyncNotifier(),
        TimeProvider.System,
        new App.Features.Sessions.PortalSessionService(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System));

    private static async Task<(long Contoso, long Fabrikam)> CustomersAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var ids = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
        return (ids["contoso"], ids["fabrikam"]);
    }

    private static async Task<User> UserAsync(TestDatabase database, Func<IQueryable<User>, IQueryable<User>> pick)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await pick(context.Db.Users.AsNoTracking()).FirstAsync();
    }

    private static async Task<int> AuditCountAsync(TestDatabase database, long userId, string action)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.AuditLog.CountAsync(a => a.EntityId == userId && a.Action == action);
    }

    [Theory, BothProviders]
    public async Task Actions_OwnUser_ChangeTheRowAndAreAudited(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomersAsync(database);
        // A retry needs a linked, enabled provider (SyncReadiness): the seeded OIDC users are linked to Contoso's, disabled.
        var target = await UserAsync(database, q => q.Where(u => u.CustomerId == contoso && u.RefreshTokenHash != null && !u.IsLocked && u.SyncStatus == SyncStatus.Failed && u.OidcSubject != null));
        await EnableProviderAsync(database, "Contoso Entra ID");
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso, "support@contoso.example", PortalRoles.Support));
        var service = Service(database, scope);

        Assert.True((await service.RevokeTokensAsync(target.Id)).Succeeded);
        Assert.True((await service.SetLockedAsync(target.Id, true)).Succeeded);
        Assert.False((await service.SetLockedAsync(target.Id, true)).Succeeded); // already locked: a clear refusal
        Assert.True((await service.SetLockedAsync(target.Id, false)).Succeeded);
        Assert.True((await service.RetrySyncAsync(target.Id)).Succeeded);
        var again = await service.RetrySyncAsync(target.Id);

        Assert.Contains("Only a failed sync", again.Errors["Action"]);
        var after = await UserAsync(database, q => q.Where(u => u.Id == target.Id));
        Assert.NotNull(after.TokensRevokedAt);
        Assert.Null(after.RefreshTokenHash);
        Assert.False(after.IsLocked);
        Assert.Equal(SyncStatus.Pending, after.SyncStatus);
        foreach (string action in new[] { "revoke_tokens", "lock", "unlock", "retry_sync" })
        {
            Assert.Equal(1, await AuditCountAsync(database, target.Id, action));
        }
    }

    private static async Task EnableProviderAsync(TestDatabase database, string name, bool enabled = true)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var system = await context.Db.CiamSystems.SingleAsync(c => c.Name == name);
        system.IsEnabled = enabled;
        await context.Db.SaveChangesAsync();
    }

    [Theory, BothProviders]
    public async Task RetrySync_NoLinkedOrOnlyADisabledProvider_IsRefusedWithWhatToDoAndChangesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomersAsync(database);
        long unlinked, disabledOnly;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var db = context.Db;
            unlinked = await db.Users.Where(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed && !db.UserCiamMappings.Any(m => m.UserId == u.Id))
                .OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
            disabledOnly = await db.Users.Where(u => u.CustomerId == contoso && u.SyncStatus == SyncStatus.Failed
                    && db.UserCiamMappings.Any(m => m.UserId == u.Id) && !db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystem!.IsEnabled))
                .OrderBy(u => u.Id).Select(u => u.Id).FirstAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso, "support@contoso.example", PortalRoles.Support));
        var service = Service(database, scope);

        var notLinked = await service.RetrySyncAsync(unlinked);
        var disabled = await service.RetrySyncAsync(disabledOnly);

        Assert.False(notLinked.Succeeded || notLinked.NotFound);
        Assert.Equal(SyncReadiness.NotLinked, notLinked.Errors["Action"]);
        Assert.False(disabled.Succeeded || disabled.NotFound);
        Assert.Equal("This user's identity provider (Contoso Entra ID) is disabled, so a sync would fail again. Enable the provider, or link the user to an enabled one, first.", disabled.Errors["Action"]);
        foreach (long id in new[] { unlinked, disabledOnly })
        {
            Assert.Equal(SyncStatus.Failed, (await UserAsync(database, q => q.Where(u => u.Id == id))).SyncStatus);
            Assert.Equal(0, await AuditCountAsync(database, id, "retry_sync"));
        }

        // The same call works once the provider is enabled; the unlinked user still has nothing to sync against.
        await EnableProviderAsync(database, "Contoso Entra ID");
        Assert.True((await service.RetrySyncAsync(disabledOnly)).Succeeded);
        Assert.Equal(SyncStatus.Pending, (await UserAsync(database, q => q.Where(u => u.Id == disabledOnly))).SyncStatus);
        Assert.Equal(SyncReadiness.NotLinked, (await service.RetrySyncAsync(unlinked)).Errors["Action"]);
        Assert.Equal(1, await AuditCountAsync(database, disabledOnly, "retry_sync"));
    }

    [Fact]
    public void Blocker_Links_ExplainsOnlyWhatStandsInTheWay()
    {
        Assert.Equal(SyncReadiness.NotLinked, SyncReadiness.Blocker([]));
        Assert.Null(SyncReadiness.Blocker([("A", false), ("B", true)]));
        Assert.Equal(SyncReadiness.ProvidersDisabled(["<b>B</b>", "A"]), SyncReadiness.Blocker([("A", false), ("<b>B</b>", false), ("A", false)]));
        Assert.Contains("(<b>B</b>, A)", SyncReadiness.ProvidersDisabled(["<b>B</b>", "A", "A"]));
    }

    [Theory, BothProviders]
    public async Task Actions_AnotherTenantsUser_AreNotFoundAndChangeNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomersAsync(database);
        var foreign = await UserAsync(database, q => q.Where(u => u.CustomerId == fabrikam && u.SyncStatus == SyncStatus.Failed));
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var service = Service(database, scope);

        Assert.Null(await service.GetAsync(foreign.Id));
        Assert.True((await service.RevokeTokensAsync(foreign.Id)).NotFound);
        Assert.True((await service.SetLockedAsync(foreign.Id, true)).NotFound);
        Assert.True((await service.RetrySyncAsync(foreign.Id)).NotFound);
        Assert.True((await service.UpdateProfileAsync(foreign.Id, new ProfileEdit { DisplayName = "X", Email = "x@x.example", SiteId = foreign.SiteId.ToString(), Version = foreign.Version })).NotFound);
        Assert.Empty(await service.GetHistoryAsync(foreign.Id));

        var unchanged = await UserAsync(database, q => q.Where(u => u.Id == foreign.Id));
        Assert.Equal(foreign.Version, unchanged.Version);
    }

    [Theory, BothProviders]
    public async Task UpdateProfile_BadInput_GivesTheFieldErrorAndSavesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomersAsync(database);
        var target = await UserAsync(database, q => q.Where(u => u.CustomerId == contoso).OrderBy(u => u.Email));
        var neighbour = await UserAsync(database, q => q.Where(u => u.CustomerId == contoso && u.Id != target.Id));
        long foreignSite;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            foreignSite = await context.Db.Sites.Where(s => s.CustomerId == fabrikam).Select(s => s.Id).FirstAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var service = Service(database, scope);
        ProfileEdit Edit(string name, string email, string site) => new() { DisplayName = name, Email = email, SiteId = site, IsActive = true, Version = target.Version };

        Assert.True((await service.UpdateProfileAsync(target.Id, Edit("  ", target.Email, target.SiteId.ToString()))).Errors.ContainsKey(nameof(ProfileEdit.DisplayName)));
        Assert.True((await service.UpdateProfileAsync(target.Id, Edit("Ok", "not an email", target.SiteId.ToString()))).Errors.ContainsKey(nameof(ProfileEdit.Email)));
        Assert.Contains("already has this email", (await service.UpdateProfileAsync(target.Id, Edit("Ok", neighbour.Email.ToUpperInvariant(), target.SiteId.ToString()))).Errors[nameof(ProfileEdit.Email)]);
        Assert.True((await service.UpdateProfileAsync(target.Id, Edit("Ok", target.Email, foreignSite.ToString()))).Errors.ContainsKey(nameof(ProfileEdit.SiteId)));

        var unchanged = await UserAsync(database, q => q.Where(u => u.Id == target.Id));
        Assert.Equal((target.DisplayName, target.Email, target.SiteId, target.Version), (unchanged.DisplayName, unchanged.Email, unchanged.SiteId, unchanged.Version));
    }

    [Theory, BothProviders]
    public async Task UpdateProfile_SomeoneSavedInBetween_ReportsWhoAndKeepsTheirChange(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomersAsync(database);
        // Not an admin: the last customer admin cannot be locked at all.
        var target = await UserAsync(database, q => q.Where(u => u.CustomerId == contoso && !u.IsLocked && u.PortalRole == null));
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso, "first@contoso.example"));
        var service = Service(database, scope);
        await using (var other = database.Scope(TenantScope.ForCustomer(contoso, "second@contoso.example")))
        {
            Assert.True((await Service(database, other).SetLockedAsync(target.Id, true)).Succeeded);
        }

        var result = await service.UpdateProfileAsync(target.Id, new ProfileEdit { DisplayName = "Stale edit", Email = target.Email, SiteId = target.SiteId.ToString(), IsActive = true, Version = target.Version });

        Assert.False(result.Succeeded);
        Assert.Contains("second@contoso.example", result.Conflict);
        var after = await UserAsync(database, q => q.Where(u => u.Id == target.Id));
        Assert.Equal(target.DisplayName, after.DisplayName);
        Assert.True(after.IsLocked);
    }

    [Theory, BothProviders]
    public async Task UpdateProfile_ASyncFinishedInBetween_IsNoConflict_ButANameChangeInBetweenIs(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomersAsync(database);
        var target = await UserAsync(database, q => q.Where(u => u.CustomerId == contoso && u.PortalRole == null));
        string site = target.SiteId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ProfileEdit Edit(string name) => new()
        {
            DisplayName = name, Email = target.Email, SiteId = site, IsActive = true, Version = target.Version,
            Loaded = new ProfileFields(target.DisplayName, target.Email, site, target.IsActive),
        };

        // What the sync worker does when it finishes a user: a tracked save, which bumps the version.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var user = await context.Db.Users.FirstAsync(u => u.Id == target.Id);
            user.LastSyncedAt = DateTime.UtcNow;
            await context.Db.SaveChangesAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso, "first@contoso.example"));
        var service = Service(database, scope);
        var saved = await service.UpdateProfileAsync(target.Id, Edit("Renamed <b>after</b> a sync"));
        Assert.True(saved.Succeeded, saved.Conflict);
        var afterSync = await UserAsync(database, q => q.Where(u => u.Id == target.Id));
        Assert.Equal("Renamed <b>after</b> a sync", afterSync.DisplayName);
        Assert.Equal(target.Version + 2, afterSync.Version);

        // A form loaded before that rename: the name it loaded is gone, so its save is a conflict and changes nothing.
        var stale = await service.UpdateProfileAsync(target.Id, Edit("Stale edit"));
        Assert.False(stale.Succeeded);
        Assert.Contains("changed this user after you opened it", stale.Conflict);
        Assert.Equal("Renamed <b>after</b> a sync", (await UserAsync(database, q => q.Where(u => u.Id == target.Id))).DisplayName);
    }

    [Theory, BothProviders]
    public async Task LinkAndUnlink_Identity_AreAuditedAndADuplicateSubjectIsRefused(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomersAsync(database);
        var target = await UserAsync(database, q => q.Where(u => u.CustomerId == contoso && u.OidcSubject == null && u.PortalRole == null));
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso));
        var service = Service(database, scope);
        var providers = await service.GetProviderChoicesAsync(target.Id);
        string contosoProvider = providers.First(p => p.Name.StartsWith("Contoso", StringComparison.Ordinal)).Id;

        Assert.True((await service.LinkIdentityAsync(target.Id, contosoProvider, "new-sub")).Succeeded);
        Assert.Contains("already linked", (await service.LinkIdentityAsync(target.Id, contosoProvider, "new-sub")).Errors["Subject"]);
        var detail = await service.GetAsync(target.Id);
        var link = Assert.Single(detail!.Identities);
        Assert.True((await service.UnlinkIdentityAsync(target.Id, long.Parse(link.MappingId))).Succeeded);

        Assert.Empty((await service.GetAsync(target.Id))!.Identities);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.Action == "link_identity"));
        Assert.Equal(1, await context.Db.AuditLog.CountAsync(a => a.Action == "unlink_identity"));
    }

    [Theory, BothProviders]
    public async Task History_ShowsTheUsersLinksAndSessionEndings_AndNotAnotherUsersLinkThatNamesTheirId(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _) = await CustomersAsync(database);
        List<User> people;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            people = await context.Db.Users.AsNoTracking().Where(u => u.CustomerId == contoso && u.OidcSubject == null && u.PortalRole == null).Take(2).ToListAsync();
        }

        var (target, neighbour) = (people[0], people[1]);
        await using var scope = database.Scope(TenantScope.ForCustomer(contoso, "admin@contoso.example"));
        var service = Service(database, scope);
        string contosoProvider = (await service.GetProviderChoicesAsync(target.Id)).First(p => p.Name.StartsWith("Contoso", StringComparison.Ordinal)).Id;
        // The neighbour's subject is the target's id: a text match on the id alone puts this link in the target's history.
        Assert.True((await service.LinkIdentityAsync(neighbour.Id, contosoProvider, target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))).Succeeded);
        Assert.True((await service.LinkIdentityAsync(target.Id, contosoProvider, "target-sub")).Succeeded);
        var link = Assert.Single((await service.GetAsync(target.Id))!.Identities);
        Assert.True((await service.UnlinkIdentityAsync(target.Id, long.Parse(link.MappingId))).Succeeded);

        // A portal session of the target's, ended by an admin: audited on the session row, shown in the user's history.
        await using (var context = await database.ContextAsync(TenantScope.ForCustomer(contoso, "admin@contoso.example")))
        {
            var now = DateTime.UtcNow;
            context.Db.PortalSessions.Add(new AdminPortal.App.Features.Sessions.PortalSession { UserId = target.Id, CustomerId = contoso, Provider = "dev", StartedAt = now, LastSeenAt = now });
            await context.Db.SaveChangesAsync();
            await AdminPortal.App.Features.Sessions.PortalSessionService.EndOpenSessionsAsync(context.Db, [target.Id], AdminPortal.App.Features.Sessions.SessionEndReason.Locked, now);
            await context.Db.SaveChangesAsync();
        }

        var actions = (await service.GetHistoryAsync(target.Id)).Select(l => l.Action).ToList();
        Assert.Contains("link_identity", actions);
        Assert.Contains("unlink_identity", actions);
        Assert.Contains("end_session", actions);
        Assert.Equal(1, actions.Count(a => a == "link_identity")); // not the neighbour's link as well
        var neighbours = (await service.GetHistoryAsync(neighbour.Id)).Select(l => l.Action).ToList();
        Assert.Equal(1, neighbours.Count(a => a == "link_identity"));
        Assert.DoesNotContain("unlink_identity", neighbours);
        Assert.DoesNotContain("end_session", neighbours);
    }

    private sealed class FakeTarget : ISyncTarget
    {
        public Task<SyncResult> SyncAsync(User user, IReadOnlyList<(string Name, string Authority)> providers, CancellationToken cancellationToken) =>
            Task.FromResult(providers.Count > 0 ? new SyncResult(true, null) : new SyncResult(false, "no provider"));
    }

    [Theory, BothProviders]
    public async Task SyncWorker_PendingUsers_BecomeSyncedOrFailedWithTheErrorAndAreAudited(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var notifier = new UserSyncNotifier();
        var notified = new List<long>();
        notifier.UsersChanged += ids => notified.AddRange(ids);
        var worker = new UserSyncWorker(database.Services.GetRequiredService<IServiceScopeFactory>(), new FakeTarget(), notifier,
            new ConfigurationBuilder().Build(), TimeProvider.System, new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance), NullLogger<UserSyncWorker>.Instance);
        List<long> pending;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            pending = await context.Db.Users.Where(u => u.SyncStatus == SyncStatus.Pending).Select(u => u.Id).ToListAsync();
        }

        int processed = await worker.RunOnceAsync();

        Assert.Equal(pending.Count, processed);
        Assert.Equal(pending.Order(), notified.Order());
        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.Equal(0, await check.Db.Users.CountAsync(u => u.SyncStatus == SyncStatus.Pending));
        var results = await check.Db.Users.Where(u => pending.Contains(u.Id)).Select(u => new { u.SyncStatus, u.LastSyncError, u.LastSyncedAt, Mapped = check.Db.UserCiamMappings.Any(m => m.UserId == u.Id && m.CiamSystem!.IsEnabled) }).ToListAsync();
        // Synced through an enabled provider; a user whose providers are all disabled (the demo's Contoso Entra and
        // Fabrikam Keycloak) has nothing to sync against.
        Assert.Contains(results, r => r.Mapped);
        Assert.All(results, r => Assert.Equal(r.Mapped ? SyncStatus.Synced : SyncStatus.Failed, r.SyncStatus));
        Assert.All(results.Where(r => !r.Mapped), r => Assert.Equal("no provider", r.LastSyncError));
        Assert.All(results, r => Assert.NotNull(r.LastSyncedAt));
        Assert.Equal(pending.Count, await check.Db.AuditLog.CountAsync(a => a.Action == "sync"));
        Assert.Equal(0, await worker.RunOnceAsync());
    }
}
