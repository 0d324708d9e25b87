using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Invitations;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.Invitations;

/// <summary>Invite, validate, resend, revoke, and the first sign-in that accepts, on both databases.</summary>
public class InvitationServiceTests
{
    private const string Issuer = "http://127.0.0.1/";

    internal static InvitationService Service(TestDatabase database, AsyncServiceScope scope, string? validFor = null) => new(
        scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(),
        new UserAccessService(database.Services.GetRequiredService<IServiceScopeFactory>()),
        new UserSyncNotifier(),
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Invitations:ValidFor"] = validFor }).Build(),
        TimeProvider.System,
        NullLogger<InvitationService>.Instance);

    internal static async Task<(long Contoso, long Fabrikam, long ContosoSite, long FabrikamSite)> TenantsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var customers = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
        long contosoSite = await context.Db.Sites.Where(s => s.CustomerId == customers["contoso"]).OrderBy(s => s.Name).Select(s => s.Id).FirstAsync();
        long fabrikamSite = await context.Db.Sites.Where(s => s.CustomerId == customers["fabrikam"]).Select(s => s.Id).FirstAsync();
        return (customers["contoso"], customers["fabrikam"], contosoSite, fabrikamSite);
    }

    private static async Task<T> QueryAsync<T>(TestDatabase database, Func<PortalDbContext, Task<T>> query)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await query(context.Db);
    }

    /// <summary>The sign-in service with the development provider (platform-wide) and one enabled provider per customer.</summary>
    private static async Task<(SignInService Service, string ContosoScheme, string FabrikamScheme)> SignInAsync(TestDatabase database, long contoso, long fabrikam)
    {
        var contosoRow = new CiamSystem { CustomerId = contoso, Name = "Contoso Okta", ProviderType = CiamProviderType.Oidc, Authority = "https://contoso.okta.example", ClientId = "portal", IsEnabled = true };
        var fabrikamRow = new CiamSystem { CustomerId = fabrikam, Name = "Fabrikam Auth0", ProviderType = CiamProviderType.Oidc, Authority = "https://fabrikam.auth0.example", ClientId = "portal", IsEnabled = true };
        await QueryAsync(database, db =>
        {
            db.CiamSystems.AddRange(contosoRow, fabrikamRow);
            return db.SaveChangesAsync();
        });
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "dev", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        string contosoScheme = ProviderSchemes.SchemeFor(contosoRow.Id);
        string fabrikamScheme = ProviderSchemes.SchemeFor(fabrikamRow.Id);
        providers.ReplaceRuntime(
        [
            new SignInProvider(contosoScheme, contosoRow.Name, SignInHandler.OpenIdConnect, contosoRow.Authority, contosoRow.Id),
            new SignInProvider(fabrikamScheme, fabrikamRow.Name, SignInHandler.OpenIdConnect, fabrikamRow.Authority, fabrikamRow.Id),
        ]);
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        return (new SignInService(scopes, providers, new UserAccessService(scopes), TimeProvider.System, NullLogger<SignInService>.Instance), contosoScheme, fabrikamScheme);
    }

    private static InvitationRequest Request(string email, long siteId, PortalRole? role = PortalRole.Support, string name = "") =>
        new() { Email = email, DisplayName = name, Role = role, SiteId = siteId.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static async Task<long> InviteAsync(TestDatabase database, long customerId, long siteId, string email, PortalRole role = PortalRole.Support)
    {
        await using var scope = database.Scope(TenantScope.ForCustomer(customerId, "admin@test.example"));
        var result = await Service(database, scope).InviteAsync(Request(email, siteId, role));
        Assert.True(result.Succeeded, string.Join("; ", result.Change.Errors.Values));
        return long.Parse(result.UserId!, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory, BothProviders]
    public async Task Invite_ValidRequest_CreatesAnInvitedUserThatTheInvitedFilterAndExportFind(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        await using var scope = database.Scope(TenantScope.ForCustomer(tenants.Contoso, "admin@contoso.example") with { ActorUserId = 42 });
        var service = Service(database, scope, validFor: "3.00:00:00");
        DateTime before = DateTime.UtcNow;

        var result = await service.InviteAsync(Request("  New.Person@Example.COM ", tenants.ContosoSite, PortalRole.Editor, "<script>alert(1)</script>"));

        Assert.True(result.Succeeded);
        long id = long.Parse(result.UserId!, System.Globalization.CultureInfo.InvariantCulture);
        var user = await QueryAsync(database, db => db.Users.AsNoTracking().SingleAsync(u => u.Id == id));
        Assert.Equal(("new.person@example.com", "<script>alert(1)</script>", PortalRole.Editor, tenants.Contoso, tenants.ContosoSite), (user.Email, user.DisplayName, user.PortalRole, user.CustomerId, user.SiteId));
        Assert.True(user.IsInvitationPending);
        Assert.Equal(42, user.InvitedByUserId);
        Assert.InRange(user.InvitationExpiresAt!.Value, before.AddDays(3).AddMinutes(-1), DateTime.UtcNow.AddDays(3).AddMinutes(1));
        Assert.Null(user.PasswordHash);
        var audit = await QueryAsync(database, db => db.AuditLog.SingleAsync(a => a.EntityId == id && a.Action == AuditActions.InvitationCreated));
        Assert.Equal((tenants.Contoso, "admin@contoso.example"), (audit.CustomerId!.Value, audit.Actor));

        // The users grid's "Invited" state finds exactly the invitation; "Active" no longer counts it.
        var users = new UserService(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);
        var invited = await users.GetPageAsync(new UserFilter(State: UserState.Invited), new PageRequest());
        Assert.Equal([result.UserId], invited.Rows.Select(r => r.Id));
        Assert.True(invited.Rows[0].IsInvited);
        var active = await users.GetPageAsync(new UserFilter(State: UserState.Active, Search: "new.person"), new PageRequest());
        Assert.Empty(active.Rows);

        // The CSV export takes the same filter and says which rows are pending invitations.
        await using var context = await database.ContextAsync(TenantScope.ForCustomer(tenants.Contoso));
        using var output = new MemoryStream();
        int written = await UserExport.WriteAsync(context.Db, users, new UserFilter(State: UserState.Invited), output, CancellationToken.None);
        string csv = System.Text.Encoding.UTF8.GetString(output.ToArray());
        Assert.Equal(1, written);
        Assert.Contains("invitation_pending", csv.Split('\n')[0]);
        Assert.Contains("new.person@example.com", csv);
        Assert.Contains("<script>alert(1)</script>", csv);
    }

    [Theory, BothProviders]
    public async Task Invite_InvalidDuplicateOrForeign_GivesAFieldMessageAndSavesNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        string existing = await QueryAsync(database, db => db.Users.Where(u => u.CustomerId == tenants.Contoso).Select(u => u.Email).FirstAsync());
        await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "pending@example.com");
        await using var scope = database.Scope(TenantScope.ForCustomer(tenants.Contoso, "admin@contoso.example"));
        var service = Service(database, scope);
        int usersBefore = await QueryAsync(database, db => db.Users.CountAsync());
        int auditBefore = await QueryAsync(database, db => db.AuditLog.CountAsync());
        string site = tenants.ContosoSite.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var cases = new (InvitationRequest Request, string Field, string Message)[]
        {
            (Request("", tenants.ContosoSite), nameof(InvitationRequest.Email), "valid email"),
            (Request("not an email", tenants.ContosoSite), nameof(InvitationRequest.Email), "valid email"),
            (Request("a@b.example\r\nBcc: x@y.example", tenants.ContosoSite), nameof(InvitationRequest.Email), "valid email"),
            (Request("Name <a@b.example>", tenants.ContosoSite), nameof(InvitationRequest.Email), "valid email"),
            (Request(new string('a', 400) + "@example.com", tenants.ContosoSite), nameof(InvitationRequest.Email), "at most 320"),
            (Request(new string('a', 5_000_000) + "@example.com", tenants.ContosoSite), nameof(InvitationRequest.Email), "at most 320"),
            (Request("ok@example.com", tenants.ContosoSite, name: new string('n', User.MaxDisplayNameLength + 1)), nameof(InvitationRequest.DisplayName), "at most 200"),
            (Request("ok@example.com", tenants.ContosoSite, name: "Line\nbreak"), nameof(InvitationRequest.DisplayName), "control characters"),
            (Request("ok@example.com", tenants.ContosoSite, role: null), nameof(InvitationRequest.Role), "Choose a role"),
            (Request("ok@example.com", tenants.ContosoSite, role: PortalRole.PlatformAdmin), nameof(InvitationRequest.Role), "Choose a role"),
            (Request("ok@example.com", tenants.ContosoSite, role: (PortalRole)99), nameof(InvitationRequest.Role), "Choose a role"),
            (new InvitationRequest { Email = "ok@example.com", Role = PortalRole.Editor, SiteId = "" }, nameof(InvitationRequest.SiteId), "site this editor works on"),
            (new InvitationRequest { Email = "ok@example.com", Role = PortalRole.Support, SiteId = "-1" }, nameof(InvitationRequest.SiteId), "Choose a site"),
            (new InvitationRequest { Email = "ok@example.com", Role = PortalRole.Support, SiteId = "99999999999999999999" }, nameof(InvitationRequest.SiteId), "Choose a site"),
            (Request("ok@example.com", long.MaxValue), nameof(InvitationRequest.SiteId), "one of your sites"),
            (Request("ok@example.com", tenants.FabrikamSite), nameof(InvitationRequest.SiteId), "one of your sites"),
            (Request(existing.ToUpperInvariant(), tenants.ContosoSite), nameof(InvitationRequest.Email), "Already a user"),
            (new InvitationRequest { Email = " Pending@Example.com", Role = PortalRole.Support, SiteId = site }, nameof(InvitationRequest.Email), "already invited"),
        };
        foreach (var (request, field, message) in cases)
        {
            var result = await service.InviteAsync(request);
            Assert.False(result.Succeeded);
            Assert.True(result.Change.Errors.TryGetValue(field, out string? text), $"{request.Email[..Math.Min(40, request.Email.Length)]}: expected a message on {field}, got {string.Join(", ", result.Change.Errors.Keys)}");
            Assert.Contains(message, text);
        }

        Assert.Equal(usersBefore, await QueryAsync(database, db => db.Users.CountAsync()));
        Assert.Equal(auditBefore, await QueryAsync(database, db => db.AuditLog.CountAsync()));
    }

    [Theory, BothProviders]
    public async Task Invite_BySupportOrEditor_IsRefusedByTheService(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        long invited = await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "someone@example.com");
        foreach (string role in new[] { PortalRoles.Support, PortalRoles.Editor })
        {
            await using var scope = database.Scope(TenantScope.ForCustomer(tenants.Contoso, "x@contoso.example", role, role == PortalRoles.Editor ? tenants.ContosoSite : null));
            var service = Service(database, scope);
            Assert.Contains("Only customer admins", (await service.InviteAsync(Request("other@example.com", tenants.ContosoSite))).Change.Errors["Action"]);
            Assert.Contains("Only customer admins", (await service.ResendAsync(invited)).Change.Errors["Action"]);
            Assert.Contains("Only customer admins", (await service.RevokeAsync(invited)).Errors["Action"]);
        }

        Assert.True(await QueryAsync(database, db => db.Users.AnyAsync(u => u.Id == invited)));
        Assert.False(await QueryAsync(database, db => db.Users.AnyAsync(u => u.Email == "other@example.com")));
    }

    [Theory, BothProviders]
    public async Task FirstSignIn_VerifiedEmailThroughTheCustomersProvider_AcceptsTheInvitationWithItsRole(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        var (signIn, contosoScheme, fabrikamScheme) = await SignInAsync(database, tenants.Contoso, tenants.Fabrikam);
        long id = await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "invitee@example.com", PortalRole.CustomerAdmin);

        var unverified = await signIn.SignInAsync(new ExternalIdentity(contosoScheme, "https://contoso.okta.example", "okta-1", "invitee@example.com", "Invitee", null, null, EmailVerified: false));
        var otherCustomers = await signIn.SignInAsync(new ExternalIdentity(fabrikamScheme, "https://fabrikam.auth0.example", "auth0-1", "invitee@example.com", "Invitee", null, null, EmailVerified: true));

        // An unverified email never accepts; another customer's provider cannot vouch for this customer's people.
        Assert.Equal(SignInDenial.EmailNotVerified, unverified.Denial);
        Assert.Equal(SignInDenial.UnknownUser, otherCustomers.Denial);
        Assert.True(await QueryAsync(database, db => db.Users.Where(u => u.Id == id).Select(u => u.InvitedAt != null && u.InvitationAcceptedAt == null).SingleAsync()));
        Assert.False(await QueryAsync(database, db => db.UserCiamMappings.AnyAsync(m => m.UserId == id)));

        var accepted = await signIn.SignInAsync(new ExternalIdentity(contosoScheme, "https://contoso.okta.example", "okta-1", "INVITEE@example.com", "Invitee", null, null, EmailVerified: true));
        var again = await signIn.SignInAsync(new ExternalIdentity(contosoScheme, "https://contoso.okta.example", "okta-1", null, null, null, null));

        Assert.Null(accepted.Denial);
        Assert.Equal(id, accepted.UserId);
        var scope = TenantScope.FromPrincipal(accepted.Principal);
        Assert.Equal((PortalRoles.CustomerAdmin, (long?)tenants.Contoso), (scope.Role, scope.CustomerId));
        Assert.Equal(id, again.UserId);
        var user = await QueryAsync(database, db => db.Users.AsNoTracking().SingleAsync(u => u.Id == id));
        Assert.NotNull(user.InvitationAcceptedAt);
        Assert.Equal(2, user.LoginCount);
        Assert.Equal(1, await QueryAsync(database, db => db.AuditLog.CountAsync(a => a.EntityId == id && a.Action == AuditActions.InvitationAccepted && a.CustomerId == tenants.Contoso)));
        Assert.Equal(1, await QueryAsync(database, db => db.AuditLog.CountAsync(a => a.Action == "link_identity_by_email")));

        // Accepted: nothing left to resend or revoke.
        await using var admin = database.Scope(TenantScope.ForCustomer(tenants.Contoso));
        Assert.Contains("already accepted", (await Service(database, admin).ResendAsync(id)).Change.Errors["Action"]);
        Assert.Contains("already accepted", (await Service(database, admin).RevokeAsync(id)).Errors["Action"]);
    }

    [Theory, BothProviders]
    public async Task FirstSignIn_ExpiredInvitation_IsRefusedUntilAnAdminResendsIt(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        var (signIn, _, _) = await SignInAsync(database, tenants.Contoso, tenants.Fabrikam);
        long id = await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "late@example.com");
        await QueryAsync(database, async db =>
        {
            (await db.Users.SingleAsync(u => u.Id == id)).InvitationExpiresAt = DateTime.UtcNow.AddMinutes(-1);
            return await db.SaveChangesAsync();
        });
        var identity = new ExternalIdentity(DevIdentityProvider.OidcScheme, Issuer, "dev-late", "late@example.com", "Late", null, null, EmailVerified: true);

        var expired = await signIn.SignInAsync(identity);

        Assert.Equal(SignInDenial.InvitationExpired, expired.Denial);
        Assert.Null(expired.Principal);
        Assert.False(await QueryAsync(database, db => db.UserCiamMappings.AnyAsync(m => m.UserId == id)));
        Assert.Null(await QueryAsync(database, db => db.Users.Where(u => u.Id == id).Select(u => u.InvitationAcceptedAt).SingleAsync()));
        var refusal = await QueryAsync(database, db => db.AuditLog.Where(a => a.Action == AuditActions.SignInRefused).OrderByDescending(a => a.Id).FirstAsync());
        Assert.Contains("InvitationExpired", refusal.Changes);
        Assert.Equal(tenants.Contoso, refusal.CustomerId);

        await using (var admin = database.Scope(TenantScope.ForCustomer(tenants.Contoso, "admin@contoso.example")))
        {
            var service = Service(database, admin);
            var state = await service.GetAsync(id);
            Assert.True(state!.Expired);
            var resent = await service.ResendAsync(id);
            Assert.True(resent.Succeeded);
            Assert.True(resent.ExpiresAt > DateTime.UtcNow.AddDays(6));
            Assert.False((await service.GetAsync(id))!.Expired);
        }

        Assert.Equal(1, await QueryAsync(database, db => db.AuditLog.CountAsync(a => a.EntityId == id && a.Action == AuditActions.InvitationResent && a.Actor == "admin@contoso.example")));
        var accepted = await signIn.SignInAsync(identity);
        Assert.Null(accepted.Denial);
        Assert.Equal(id, accepted.UserId);
    }

    [Theory, BothProviders]
    public async Task Revoke_PendingInvitation_DeletesTheRowAuditsItAndTheEmailNeverLinks(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        var (signIn, _, _) = await SignInAsync(database, tenants.Contoso, tenants.Fabrikam);
        long id = await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "gone@example.com");

        await using (var admin = database.Scope(TenantScope.ForCustomer(tenants.Contoso, "admin@contoso.example")))
        {
            var service = Service(database, admin);
            Assert.True((await service.RevokeAsync(id)).Succeeded);
            Assert.True((await service.RevokeAsync(id)).NotFound);
            Assert.True((await service.ResendAsync(id)).Change.NotFound);
            Assert.Null(await service.GetAsync(id));
        }

        Assert.False(await QueryAsync(database, db => db.Users.AnyAsync(u => u.Id == id)));
        var audit = await QueryAsync(database, db => db.AuditLog.SingleAsync(a => a.EntityId == id && a.Action == AuditActions.InvitationRevoked));
        Assert.Equal((tenants.Contoso, "admin@contoso.example"), (audit.CustomerId!.Value, audit.Actor));
        Assert.Contains("gone@example.com", audit.Changes);

        var outcome = await signIn.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, Issuer, "dev-gone", "gone@example.com", "Gone", null, null, EmailVerified: true));
        Assert.Equal(SignInDenial.UnknownUser, outcome.Denial);
        Assert.False(await QueryAsync(database, db => db.UserCiamMappings.AnyAsync(m => m.ExternalSubject == "dev-gone")));

        // The address can be invited again.
        await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "gone@example.com");
    }

    [Theory, BothProviders]
    public async Task SignIn_PendingInvitationByAnythingButTheVerifiedEmail_IsRefused(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        var (signIn, contosoScheme, _) = await SignInAsync(database, tenants.Contoso, tenants.Fabrikam);
        long id = await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "linked@example.com");
        long contosoProvider = await QueryAsync(database, db => db.CiamSystems.Where(c => c.Name == "Contoso Okta").Select(c => c.Id).SingleAsync());
        // An admin linked a subject by hand before the person ever signed in.
        await QueryAsync(database, db =>
        {
            db.UserCiamMappings.Add(new UserCiamMapping { UserId = id, CustomerId = tenants.Contoso, CiamSystemId = contosoProvider, ExternalSubject = "hand-linked" });
            return db.SaveChangesAsync();
        });

        var outcome = await signIn.SignInAsync(new ExternalIdentity(contosoScheme, "https://contoso.okta.example", "hand-linked", null, null, null, null));

        Assert.Equal(SignInDenial.InvitationNotAccepted, outcome.Denial);
        Assert.Null(outcome.Principal);
        Assert.Equal(0, await QueryAsync(database, db => db.Users.Where(u => u.Id == id).Select(u => u.LoginCount).SingleAsync()));
        Assert.False(await QueryAsync(database, db => db.PortalSessions.AnyAsync(s => s.UserId == id)));
    }

    [Theory, BothProviders]
    public async Task LastAdminRule_PendingInvitedAdmin_DoesNotCountUntilAccepted(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var tenants = await TenantsAsync(database);
        long invited = await InviteAsync(database, tenants.Contoso, tenants.ContosoSite, "next-admin@example.com", PortalRole.CustomerAdmin);

        async Task<List<ActionExclusion>> DeactivateEveryOtherAdminAsync()
        {
            await using var context = await database.ContextAsync(TenantScope.ForCustomer(tenants.Contoso));
            var targets = context.Db.Users.Where(u => u.CustomerId == tenants.Contoso && u.PortalRole == PortalRole.CustomerAdmin && u.Id != invited);
            return await AdminSafeguards.ExclusionsAsync(context.Db, GuardedAction.Deactivate, targets, CancellationToken.None);
        }

        var whilePending = await DeactivateEveryOtherAdminAsync();
        Assert.Contains(whilePending, e => e.Reason == AdminSafeguards.LastCustomerAdminReason("Contoso Media"));

        await QueryAsync(database, async db =>
        {
            (await db.Users.SingleAsync(u => u.Id == invited)).InvitationAcceptedAt = DateTime.UtcNow;
            return await db.SaveChangesAsync();
        });
        Assert.DoesNotContain(await DeactivateEveryOtherAdminAsync(), e => e.Reason.StartsWith("Last active admin", StringComparison.Ordinal));
    }
}
