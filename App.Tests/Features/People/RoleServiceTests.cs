using System.Security.Claims;
using System.Text.Json;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.People;
using AdminPortal.App.Features.Sessions;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Auth;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.People;

/// <summary>Granting, changing and removing portal roles, and who may: on both databases.</summary>
public class RoleServiceTests
{
    internal sealed record Persons(long Contoso, long Fabrikam, long ContosoAdmin, long ContosoSupport, long ContosoEditor, long PlatformAdmin, long FabrikamAdmin, long ContosoNobody, long FabrikamNobody);

    internal static async Task<Persons> PersonsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var db = context.Db;
        var customers = await db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
        long contoso = customers["contoso"], fabrikam = customers["fabrikam"];
        // The personas linked to the development provider: one of each role per customer, and the platform admin.
        var linked = await db.UserCiamMappings.Where(m => m.CiamSystem!.Authority == DevIdentityProvider.Authority)
            .Select(m => new { m.UserId, m.User!.CustomerId, m.User.PortalRole }).ToListAsync();
        long Persona(long customer, PortalRole role) => linked.Single(u => u.CustomerId == customer && u.PortalRole == role).UserId;
        long Nobody(long customer) => db.Users.Where(u => u.CustomerId == customer && u.PortalRole == null && u.IsActive && !u.IsLocked).OrderBy(u => u.Id).Select(u => u.Id).First();
        return new Persons(contoso, fabrikam, Persona(contoso, PortalRole.CustomerAdmin), Persona(contoso, PortalRole.Support), Persona(contoso, PortalRole.Editor),
            linked.Single(u => u.PortalRole == PortalRole.PlatformAdmin).UserId, Persona(fabrikam, PortalRole.CustomerAdmin), Nobody(contoso), Nobody(fabrikam));
    }

    internal static RoleService Service(TestDatabase database, AsyncServiceScope scope, UserAccessService? access = null, PortalSessionService? sessions = null)
    {
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        return new RoleService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
            access ?? new UserAccessService(scopes), sessions ?? new PortalSessionService(scopes, TimeProvider.System), new UserSyncNotifier(), TimeProvider.System);
    }

    internal static TenantScope Admin(Persons p) => new("Contoso admin", p.ContosoAdmin, PortalRoles.CustomerAdmin, p.Contoso, null, false);

    internal static TenantScope Platform(Persons p) => new("Platform admin", p.PlatformAdmin, PortalRoles.PlatformAdmin, null, null, true);

    private static async Task<User> UserAsync(TestDatabase database, long id)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Users.AsNoTracking().SingleAsync(u => u.Id == id);
    }

    private static async Task<List<App.Features.Audit.AuditEntry>> AuditAsync(TestDatabase database, long userId)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.AuditLog.AsNoTracking().Where(a => a.EntityType == nameof(User) && a.EntityId == userId && a.Action.StartsWith("role_")).OrderBy(a => a.Id).ToListAsync();
    }

    private static async Task<RoleChangeResult> ChangeAsync(TestDatabase database, TenantScope actor, long userId, PortalRole? role, string? siteId = null, bool confirm = false, long? version = null)
    {
        await using var scope = database.Scope(actor);
        var service = Service(database, scope);
        var change = new RoleChange { Role = role, SiteId = siteId, ConfirmSelfDemotion = confirm, Version = version ?? (await UserAsync(database, userId)).Version };
        return await service.ChangeAsync(userId, change);
    }

    private static async Task SetLockedAsync(TestDatabase database, long userId, bool locked)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        (await context.Db.Users.SingleAsync(u => u.Id == userId)).IsLocked = locked;
        await context.Db.SaveChangesAsync();
    }

    private static (string? Old, string? New) PortalRoleChange(App.Features.Audit.AuditEntry entry)
    {
        var change = JsonDocument.Parse(entry.Changes!).RootElement.GetProperty("portal_role");
        static string? Text(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetString();
        return (Text(change.GetProperty("old")), Text(change.GetProperty("new")));
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_GrantChangeRemove_SavesAndAuditsOldAndNewRole(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);
        string otherSite;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            long own = (await UserAsync(database, p.ContosoNobody)).SiteId;
            otherSite = (await context.Db.Sites.Where(s => s.CustomerId == p.Contoso && s.Id != own).Select(s => s.Id).FirstAsync()).ToString();
            context.Db.PortalSessions.Add(PortalSessionService.Create(p.ContosoNobody, p.Contoso, "test", SessionOrigin.Unknown, DateTime.UtcNow));
            await context.Db.SaveChangesAsync();
        }

        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.Support)).Succeeded);
        Assert.Equal(PortalRole.Support, (await UserAsync(database, p.ContosoNobody)).PortalRole);
        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.Editor, otherSite)).Succeeded);
        var editor = await UserAsync(database, p.ContosoNobody);
        Assert.Equal(PortalRole.Editor, editor.PortalRole);
        Assert.Equal(otherSite, editor.SiteId.ToString());
        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoNobody, null)).Succeeded);

        Assert.Null((await UserAsync(database, p.ContosoNobody)).PortalRole);
        var audit = await AuditAsync(database, p.ContosoNobody);
        Assert.Equal(["role_granted", "role_changed", "role_removed"], audit.Select(a => a.Action));
        Assert.Equal((null, "Support"), PortalRoleChange(audit[0]));
        Assert.Equal(("Support", "Editor"), PortalRoleChange(audit[1]));
        Assert.Contains("\"site_id\"", audit[1].Changes);
        Assert.Equal(("Editor", null), PortalRoleChange(audit[2]));
        Assert.All(audit, a => Assert.Equal("Contoso admin", a.Actor));
        Assert.All(audit, a => Assert.Equal(p.ContosoAdmin, a.ActorUserId));
        // No role, no portal: the person's open sessions end with the removal.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            Assert.False(await context.Db.PortalSessions.AnyAsync(s => s.UserId == p.ContosoNobody && s.EndedAt == null));
        }
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_LastActiveCustomerAdmin_IsRefusedUntilAnotherExists(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);

        var self = await ChangeAsync(database, Admin(p), p.ContosoAdmin, PortalRole.Support, confirm: true);
        var byPlatform = await ChangeAsync(database, Platform(p), p.ContosoAdmin, null);

        Assert.Contains("Last active admin of Contoso", self.Errors[nameof(RoleChange.Role)]);
        Assert.Contains("Last active admin of Contoso", byPlatform.Errors[nameof(RoleChange.Role)]);
        Assert.Equal(PortalRole.CustomerAdmin, (await UserAsync(database, p.ContosoAdmin)).PortalRole);
        Assert.Empty(await AuditAsync(database, p.ContosoAdmin));

        // A locked second admin does not count; an active one does.
        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.CustomerAdmin)).Succeeded);
        await SetLockedAsync(database, p.ContosoNobody, true);
        Assert.Contains("Last active admin of Contoso", (await ChangeAsync(database, Admin(p), p.ContosoAdmin, PortalRole.Support, confirm: true)).Errors[nameof(RoleChange.Role)]);
        await SetLockedAsync(database, p.ContosoNobody, false);
        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoAdmin, PortalRole.Support, confirm: true)).Succeeded);
        Assert.Equal(PortalRole.Support, (await UserAsync(database, p.ContosoAdmin)).PortalRole);
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_LastActivePlatformAdmin_IsRefusedUntilAnotherExists(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);

        var refused = await ChangeAsync(database, Platform(p), p.PlatformAdmin, PortalRole.CustomerAdmin, confirm: true);

        Assert.Contains(AdminSafeguards.LastPlatformAdminReason, refused.Errors[nameof(RoleChange.Role)]);
        Assert.Equal(PortalRole.PlatformAdmin, (await UserAsync(database, p.PlatformAdmin)).PortalRole);
        Assert.True((await ChangeAsync(database, Platform(p), p.FabrikamNobody, PortalRole.PlatformAdmin)).Succeeded);
        Assert.True((await ChangeAsync(database, Platform(p), p.PlatformAdmin, PortalRole.CustomerAdmin, confirm: true)).Succeeded);
        Assert.Equal(PortalRole.CustomerAdmin, (await UserAsync(database, p.PlatformAdmin)).PortalRole);
        Assert.Equal(("PlatformAdmin", "CustomerAdmin"), PortalRoleChange((await AuditAsync(database, p.PlatformAdmin)).Single()));
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_OwnAdminRoleWithoutConfirmation_AsksAndChangesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);
        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.CustomerAdmin)).Succeeded);

        var unconfirmed = await ChangeAsync(database, Admin(p), p.ContosoAdmin, null);

        Assert.True(unconfirmed.NeedsConfirmation);
        Assert.False(unconfirmed.Succeeded);
        Assert.Equal(PortalRole.CustomerAdmin, (await UserAsync(database, p.ContosoAdmin)).PortalRole);
        Assert.Empty(await AuditAsync(database, p.ContosoAdmin));
        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoAdmin, null, confirm: true)).Succeeded);
        Assert.Null((await UserAsync(database, p.ContosoAdmin)).PortalRole);
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_AnotherTenantsUser_IsNotFoundAndChangesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);
        await using var scope = database.Scope(Admin(p));

        Assert.Null(await Service(database, scope).GetAsync(p.FabrikamNobody));
        foreach (long foreign in new[] { p.FabrikamNobody, p.FabrikamAdmin, long.MaxValue, 0 })
        {
            Assert.True((await ChangeAsync(database, Admin(p), foreign, PortalRole.CustomerAdmin, version: 1)).NotFound);
            Assert.True((await ChangeAsync(database, Admin(p), foreign, null, version: 1)).NotFound);
        }

        Assert.Null((await UserAsync(database, p.FabrikamNobody)).PortalRole);
        Assert.Equal(PortalRole.CustomerAdmin, (await UserAsync(database, p.FabrikamAdmin)).PortalRole);
        Assert.Empty(await AuditAsync(database, p.FabrikamNobody));
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_SupportOrEditor_IsRefusedAndChangesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);
        var editorSite = (await UserAsync(database, p.ContosoEditor)).SiteId;
        var support = new TenantScope("Support", p.ContosoSupport, PortalRoles.Support, p.Contoso, null, false);
        var editor = new TenantScope("Editor", p.ContosoEditor, PortalRoles.Editor, p.Contoso, editorSite, false);

        foreach (var actor in new[] { support, editor })
        {
            var result = await ChangeAsync(database, actor, p.ContosoEditor, PortalRole.CustomerAdmin);
            Assert.Equal(RoleService.OnlyAdminsReason, result.Errors[nameof(RoleChange.Role)]);
            await using var scope = database.Scope(actor);
            Assert.False((await Service(database, scope).GetAsync(p.ContosoEditor))!.CanChange);
        }

        Assert.Equal(PortalRole.Editor, (await UserAsync(database, p.ContosoEditor)).PortalRole);
        Assert.Empty(await AuditAsync(database, p.ContosoEditor));
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_CustomerAdmin_CannotGrantOrChangePlatformAdmin(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);

        var grant = await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.PlatformAdmin);
        // The platform admin belongs to Contoso, so Contoso's admin sees them, but may not demote them.
        var demote = await ChangeAsync(database, Admin(p), p.PlatformAdmin, PortalRole.Support);

        Assert.Equal(RoleService.GrantPlatformAdminReason, grant.Errors[nameof(RoleChange.Role)]);
        Assert.Equal(RoleService.PlatformAdminOnlyReason, demote.Errors[nameof(RoleChange.Role)]);
        Assert.Null((await UserAsync(database, p.ContosoNobody)).PortalRole);
        Assert.Equal(PortalRole.PlatformAdmin, (await UserAsync(database, p.PlatformAdmin)).PortalRole);
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_EditorWithTamperedSite_IsRefusedNextToTheSite(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);
        string fabrikamSite = (await UserAsync(database, p.FabrikamNobody)).SiteId.ToString();

        foreach (string site in new[] { fabrikamSite, "abc", "-1", "99999999999999999999", "1 OR 1=1", new string('9', 5000) })
        {
            var result = await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.Editor, site);
            Assert.Equal("Choose one of this customer's sites.", result.Errors[nameof(RoleChange.SiteId)]);
        }

        Assert.Null((await UserAsync(database, p.ContosoNobody)).PortalRole);
        // Without a site, the editor works on their own.
        Assert.True((await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.Editor)).Succeeded);
        var after = await UserAsync(database, p.ContosoNobody);
        Assert.Equal(PortalRole.Editor, after.PortalRole);
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_StaleVersion_IsAConflictAndKeepsTheOtherChange(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);
        long seen = (await UserAsync(database, p.ContosoNobody)).Version;

        Assert.True((await ChangeAsync(database, Platform(p), p.ContosoNobody, PortalRole.Support, version: seen)).Succeeded);
        var stale = await ChangeAsync(database, Admin(p), p.ContosoNobody, PortalRole.CustomerAdmin, version: seen);

        Assert.False(stale.Succeeded);
        Assert.Contains("Platform admin (role granted", stale.Conflict);
        Assert.Equal(PortalRole.Support, (await UserAsync(database, p.ContosoNobody)).PortalRole);
    }

    [Theory, BothProviders]
    public async Task ChangeAsync_RoleChanged_OpenCircuitEndsAndTheNextRequestCarriesTheNewRole(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var p = await PersonsAsync(database);
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        var access = new UserAccessService(scopes);
        var sessions = new PortalSessionService(scopes, TimeProvider.System);
        var validator = SessionTestServices.Validator(database.Services, access, sessions);
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "dev", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        var signIn = new SignInService(scopes, providers, access, TimeProvider.System, NullLogger<SignInService>.Instance);
        string subject;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            subject = await context.Db.UserCiamMappings.Where(m => m.UserId == p.ContosoEditor && m.CiamSystem!.Authority == DevIdentityProvider.Authority).Select(m => m.ExternalSubject).SingleAsync();
        }

        var cookie = (await signIn.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", subject, null, null, null, null), SessionOrigin.Unknown)).Principal!;
        var transformation = new PortalClaimsTransformation(validator);
        var circuitUser = await transformation.TransformAsync(cookie);
        var revalidation = new PortalRevalidatingAuthenticationStateProvider(NullLoggerFactory.Instance, validator, new ConfigurationBuilder().Build());
        Assert.True(await revalidation.ValidateNowAsync(new AuthenticationState(circuitUser)));

        await using (var scope = database.Scope(Admin(p)))
        {
            var change = new RoleChange { Role = PortalRole.Support, Version = (await UserAsync(database, p.ContosoEditor)).Version };
            Assert.True((await Service(database, scope, access, sessions).ChangeAsync(p.ContosoEditor, change)).Succeeded);
        }

        // The open circuit was authorized for the old role: it ends at the next check.
        Assert.False(await revalidation.ValidateNowAsync(new AuthenticationState(circuitUser)));
        // Only the access changed, not the session: the page reloads with the new role rather than say "session ended".
        Assert.True(revalidation.EndedByAccessChange);
        // The next request (same cookie) carries the new role at once on this instance: the cache was invalidated.
        Assert.Equal(PortalRoles.Support, (await transformation.TransformAsync(cookie)).FindFirst(PortalClaimTypes.Role)?.Value);
        // And the cookie itself is re-issued with the new role, so the old one cannot stand in during an outage.
        var services = new ServiceCollection().AddSingleton(validator).BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        var scheme = new AuthenticationScheme(AuthSetup.CookieScheme, null, typeof(CookieAuthenticationHandler));
        var validate = new CookieValidatePrincipalContext(http, scheme, new CookieAuthenticationOptions(), new AuthenticationTicket(cookie, AuthSetup.CookieScheme));
        await AuthSetup.ValidateSessionAsync(validate);
        Assert.True(validate.ShouldRenew);
        Assert.Equal(PortalRoles.Support, validate.Principal!.FindFirst(PortalClaimTypes.Role)?.Value);
        Assert.Equal(PortalRoles.Editor, cookie.FindFirst(PortalClaimTypes.Role)?.Value); // the original is never mutated
        Assert.Equal(SessionVerdict.Valid, await validator.ValidateAsync(validate.Principal!, sameTenantClaims: true));
    }
}
