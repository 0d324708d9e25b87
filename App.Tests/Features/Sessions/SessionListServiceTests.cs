using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Auth;
using AdminPortal.Tests.Features.People;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Sessions;

/// <summary>The sessions lists on the user detail and "My sessions": who sees what, ending one or all; on both databases.</summary>
public class SessionListServiceTests
{
    private const string ChromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    private const string FirefoxOnLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

    internal static SessionListService Service(TestDatabase database, AsyncServiceScope scope, PortalSessionService sessions)
    {
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "Development sign-in", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        return new SessionListService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), scope.ServiceProvider.GetRequiredService<TenantContext>(),
            database.Services.GetRequiredService<IServiceScopeFactory>(), sessions, providers, TimeProvider.System);
    }

    internal static PortalSessionService Sessions(TestDatabase database) => new(database.Services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System);

    /// <summary>An open session of <paramref name="userId"/>, started <paramref name="minutesAgo"/> minutes ago.</summary>
    internal static async Task<long> StartAsync(TestDatabase database, long userId, int minutesAgo, string? userAgent = ChromeOnWindows, string ip = "203.0.113.9", bool ended = false)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        long customer = await context.Db.Users.Where(u => u.Id == userId).Select(u => u.CustomerId).SingleAsync();
        var session = PortalSessionService.Create(userId, customer, DevIdentityProvider.OidcScheme, new SessionOrigin(userAgent, ip), DateTime.UtcNow.AddMinutes(-minutesAgo));
        if (ended)
        {
            session.EndedAt = DateTime.UtcNow;
            session.EndedReason = SessionEndReason.SignedOut;
        }

        context.Db.PortalSessions.Add(session);
        await context.Db.SaveChangesAsync();
        return session.Id;
    }

    private static async Task<PortalSession> SessionAsync(TestDatabase database, long id)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.PortalSessions.AsNoTracking().SingleAsync(s => s.Id == id);
    }

    private static TenantScope Support(RoleServiceTests.Persons p) => new("Contoso support", p.ContosoSupport, PortalRoles.Support, p.Contoso, null, false);

    [Theory, BothProviders]
    public async Task ListAsync_AUsersSessions_NewestFirstOpenOnlyReadableAndCurrentMarked(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await RoleServiceTests.PersonsAsync(database);
        long older = await StartAsync(database, p.ContosoEditor, 120, FirefoxOnLinux, "2001:db8::1");
        long newer = await StartAsync(database, p.ContosoEditor, 5);
        await StartAsync(database, p.ContosoEditor, 1, ended: true);
        await using var scope = database.Scope(Support(p));
        var service = Service(database, scope, Sessions(database));

        var rows = await service.ListAsync(p.ContosoEditor, currentSessionId: older);
        var none = await service.ListAsync(p.ContosoNobody, currentSessionId: null);

        Assert.Equal([newer.ToString(), older.ToString()], rows!.Select(r => r.Id));
        Assert.Equal("Chrome 131 on Windows", rows[0].Browser);
        Assert.Equal("Firefox 128 on Linux", rows[1].Browser);
        Assert.Equal("Development sign-in", rows[0].Provider);
        Assert.Equal("2001:db8::1", rows[1].Address);
        Assert.Equal([false, true], rows.Select(r => r.IsCurrent));
        Assert.Empty(none!); // the empty state, not "not found"
    }

    [Theory, BothProviders]
    public async Task EndAsync_OneSession_EndsItAuditsTheActorAndRefusesItsCookieAtOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await RoleServiceTests.PersonsAsync(database);
        long ending = await StartAsync(database, p.ContosoEditor, 10);
        long staying = await StartAsync(database, p.ContosoEditor, 5);
        var sessions = Sessions(database);
        Assert.Equal(SessionState.Active, await sessions.CheckAsync(ending)); // cached as active on this instance
        await using var scope = database.Scope(Support(p));

        var result = await Service(database, scope, sessions).EndAsync(p.ContosoEditor, ending);

        Assert.Equal(new SessionEndResult(true, 1), result);
        Assert.Equal(SessionState.Ended, sessions.Cached(ending)); // refused on the very next request, without a read
        var ended = await SessionAsync(database, ending);
        Assert.NotNull(ended.EndedAt);
        Assert.Equal(SessionEndReason.Ended, ended.EndedReason);
        Assert.Null((await SessionAsync(database, staying)).EndedAt);
        await using var context = await database.ContextAsync(TenantScope.System());
        var audit = await context.Db.AuditLog.SingleAsync(a => a.EntityType == nameof(PortalSession) && a.EntityId == ending && a.Action != "created");
        Assert.Equal(SessionListService.SessionEnded, audit.Action);
        Assert.Equal("Contoso support", audit.Actor);
        Assert.Equal(p.ContosoSupport, audit.ActorUserId);
        Assert.Equal(p.Contoso, audit.CustomerId);
    }

    [Theory, BothProviders]
    public async Task EndAllAsync_SignOutEverywhere_EndsEveryOpenSessionAndAuditsEach(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await RoleServiceTests.PersonsAsync(database);
        long[] open = [await StartAsync(database, p.ContosoEditor, 30), await StartAsync(database, p.ContosoEditor, 20), await StartAsync(database, p.ContosoEditor, 10)];
        long other = await StartAsync(database, p.ContosoSupport, 10);
        var sessions = Sessions(database);
        await using var scope = database.Scope(RoleServiceTests.Admin(p));

        var result = await Service(database, scope, sessions).EndAllAsync(p.ContosoEditor);

        Assert.Equal(new SessionEndResult(true, 3), result);
        foreach (long id in open)
        {
            Assert.NotNull((await SessionAsync(database, id)).EndedAt);
            Assert.Equal(SessionState.Ended, sessions.Cached(id));
        }

        Assert.Null((await SessionAsync(database, other)).EndedAt);
        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(3, await context.Db.AuditLog.CountAsync(a => a.Action == SessionListService.SessionsEndedAll && a.Actor == "Contoso admin"));
        Assert.Empty((await Service(database, scope, sessions).ListAsync(p.ContosoEditor, null))!);
    }

    [Theory, BothProviders]
    public async Task MySessions_EndOthers_KeepsThisSessionAndMarksIt(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await RoleServiceTests.PersonsAsync(database);
        long current = await StartAsync(database, p.ContosoEditor, 10);
        long other = await StartAsync(database, p.ContosoEditor, 5, FirefoxOnLinux);
        var editorSite = await EditorSiteAsync(database, p);
        await using var scope = database.Scope(new TenantScope("Editor", p.ContosoEditor, PortalRoles.Editor, p.Contoso, editorSite, false));
        var service = Service(database, scope, Sessions(database));

        var before = await service.ListMineAsync(current);
        var ended = await service.EndAllMineAsync(exceptSessionId: current);
        var after = await service.ListMineAsync(current);

        Assert.Equal([other.ToString(), current.ToString()], before.Select(r => r.Id));
        Assert.True(before.Single(r => r.Id == current.ToString()).IsCurrent);
        Assert.Equal(1, ended.Ended);
        Assert.Equal([current.ToString()], after.Select(r => r.Id));
        Assert.True(after[0].IsCurrent);
    }

    [Theory, BothProviders]
    public async Task Editor_SomeoneElsesSessions_AreNotFoundOwnAreListed(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await RoleServiceTests.PersonsAsync(database);
        long mine = await StartAsync(database, p.ContosoEditor, 10);
        long supports = await StartAsync(database, p.ContosoSupport, 10);
        var editorSite = await EditorSiteAsync(database, p);
        await using var scope = database.Scope(new TenantScope("Editor", p.ContosoEditor, PortalRoles.Editor, p.Contoso, editorSite, false));
        var service = Service(database, scope, Sessions(database));

        Assert.Null(await service.ListAsync(p.ContosoSupport, null));
        Assert.True((await service.EndAsync(p.ContosoSupport, supports)).NotFound);
        Assert.True((await service.EndAllAsync(p.ContosoSupport)).NotFound);
        Assert.True((await service.EndMineAsync(supports)).NotFound); // a tampered id on "My sessions"
        Assert.Equal([mine.ToString()], (await service.ListAsync(p.ContosoEditor, null))!.Select(r => r.Id));
        Assert.Null((await SessionAsync(database, supports)).EndedAt);
    }

    [Theory, BothProviders]
    public async Task MySessions_SwitchedPlatformAdmin_StillSeesTheirOwnSessions(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await RoleServiceTests.PersonsAsync(database);
        long own = await StartAsync(database, p.PlatformAdmin, 10); // belongs to Contoso, the platform admin's customer
        await using var scope = database.Scope(RoleServiceTests.Platform(p));
        scope.ServiceProvider.GetRequiredService<TenantContext>().SwitchTo(p.Fabrikam, null, "Fabrikam");
        var service = Service(database, scope, Sessions(database));

        Assert.Equal([own.ToString()], (await service.ListMineAsync(own)).Select(r => r.Id));
        Assert.Null(await service.ListAsync(p.PlatformAdmin, own)); // the switched view shows Fabrikam only
    }

    private static async Task<long> EditorSiteAsync(TestDatabase database, RoleServiceTests.Persons p)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Users.Where(u => u.Id == p.ContosoEditor).Select(u => u.SiteId).SingleAsync();
    }
}
