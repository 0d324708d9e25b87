using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Auth;

/// <summary>What happens once per sign-in, on both databases.</summary>
public class SignInServiceTests
{
    private static (SignInService Service, UserAccessService Access) Create(TestDatabase database)
    {
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "dev", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        providers.Add(new SignInProvider(DevIdentityProvider.IdentityWebScheme, "dev entra", SignInHandler.IdentityWeb, DevIdentityProvider.Authority));
        providers.Add(new SignInProvider("oidc-nowhere", "unregistered", SignInHandler.OpenIdConnect, "https://nowhere.example/"));
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        var access = new UserAccessService(scopes);
        return (new SignInService(scopes, providers, access, TimeProvider.System, NullLogger<SignInService>.Instance), access);
    }

    private static async Task<T> QueryAsync<T>(TestDatabase database, Func<PortalDbContext, Task<T>> query)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await query(context.Db);
    }

    private static async Task UpdateUserAsync(TestDatabase database, long userId, Action<App.Features.Users.User> change)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        change(await context.Db.Users.SingleAsync(u => u.Id == userId));
        await context.Db.SaveChangesAsync();
    }

    private static Task<(long Id, string Subject, int LoginCount, long CustomerId)> PersonaAsync(TestDatabase database, PortalRole role) =>
        QueryAsync(database, async db =>
        {
            var persona = await db.UserCiamMappings.Where(m => m.CiamSystem!.Authority == DevIdentityProvider.Authority && m.User!.PortalRole == role)
                .Select(m => new { m.UserId, m.ExternalSubject, m.User!.LoginCount, m.User.CustomerId }).FirstAsync();
            return (persona.UserId, persona.ExternalSubject, persona.LoginCount, persona.CustomerId);
        });

    [Theory, BothProviders]
    public async Task SignIn_MappedPersona_CountsOneLoginAuditsItAndCarriesTheTenant(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (service, _) = Create(database);
        var persona = await PersonaAsync(database, PortalRole.CustomerAdmin);
        int signInsBefore = await QueryAsync(database, db => db.AuditLog.CountAsync(a => a.EntityId == persona.Id && a.Action == AuditActions.SignIn));

        var outcome = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", persona.Subject, null, null, null, null));

        Assert.Null(outcome.Denial);
        var scope = TenantScope.FromPrincipal(outcome.Principal);
        Assert.Equal((persona.CustomerId, PortalRoles.CustomerAdmin, false), (scope.CustomerId!.Value, scope.Role!, scope.AllCustomers));
        Assert.Equal(persona.LoginCount + 1, await QueryAsync(database, db => db.Users.Where(u => u.Id == persona.Id).Select(u => u.LoginCount).SingleAsync()));
        Assert.Equal(signInsBefore + 1, await QueryAsync(database, db => db.AuditLog.CountAsync(a => a.EntityId == persona.Id && a.Action == AuditActions.SignIn && a.CustomerId == persona.CustomerId)));
    }

    [Theory, BothProviders]
    public async Task SignIn_LegacyUserByEmail_LinksTheAccountOnceAndAuditsTheMigration(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (service, _) = Create(database);
        var legacy = await QueryAsync(database, db => db.Users.Where(u => u.PortalRole == PortalRole.Support && u.OidcSubject == null).Select(u => new { u.Id, u.Email }).SingleAsync());

        var unverified = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", "new-subject", legacy.Email, "Legacy", null, null, EmailVerified: false));
        var first = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", "new-subject", legacy.Email.ToUpperInvariant(), "Legacy", null, null, EmailVerified: true));
        var second = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "http://127.0.0.1/", "new-subject", null, null, null, null));

        // An unverified email proves nothing about the account, and the person is told so.
        Assert.Equal(SignInDenial.EmailNotVerified, unverified.Denial);
        Assert.Null(first.Denial);
        Assert.Equal(legacy.Id, first.UserId);
        Assert.Equal(legacy.Id, second.UserId);
        Assert.Equal(1, await QueryAsync(database, db => db.UserCiamMappings.CountAsync(m => m.UserId == legacy.Id && m.ExternalSubject == "new-subject")));
        Assert.Equal(1, await QueryAsync(database, db => db.AuditLog.CountAsync(a => a.Action == "link_identity_by_email")));
        Assert.Equal("new-subject", await QueryAsync(database, db => db.Users.Where(u => u.Id == legacy.Id).Select(u => u.OidcSubject).SingleAsync()));
    }

    [Theory, BothProviders]
    public async Task SignIn_EntraObjectIdThroughIdentityWeb_LinksTheLegacyAzureAccount(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (service, _) = Create(database);
        var legacy = await QueryAsync(database, db => db.Users.Where(u => u.PortalRole == PortalRole.Support && u.OidcSubject == null)
            .Select(u => new { u.Id, u.AzureObjectId, u.AzureTenantId }).SingleAsync());

        string entraIssuer = $"https://login.microsoftonline.com/{legacy.AzureTenantId}/v2.0";
        var viaGenericHandler = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, entraIssuer, "entra-sub", null, null, legacy.AzureObjectId, legacy.AzureTenantId));
        var viaIdentityWeb = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.IdentityWebScheme, entraIssuer, "entra-sub", null, null, legacy.AzureObjectId, legacy.AzureTenantId));

        // Only an Entra token can vouch for an Entra object id.
        Assert.Equal(SignInDenial.UnknownUser, viaGenericHandler.Denial);
        Assert.Null(viaIdentityWeb.Denial);
        Assert.Equal(legacy.Id, viaIdentityWeb.UserId);
        Assert.Equal(1, await QueryAsync(database, db => db.AuditLog.CountAsync(a => a.Action == "link_identity_by_entra_object_id")));
    }

    [Theory, BothProviders]
    public async Task SignIn_EntraIdsFromANonMicrosoftIssuer_AreNeverTrusted(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var legacy = await QueryAsync(database, db => db.Users.Where(u => u.PortalRole == PortalRole.Support && u.OidcSubject == null)
            .Select(u => new { u.Id, u.AzureObjectId, u.AzureTenantId, u.LoginCount }).SingleAsync());
        Assert.NotNull(legacy.AzureObjectId);
        // A runtime row typed Entra ID whose authority is Microsoft's (so ProviderSchemes marks it EntraIssued), and a
        // configured Identity.Web scheme pointed at a loopback OpenID provider (as the third-party provider tests do).
        var entraRow = new App.Features.IdentityProviders.CiamSystem
        {
            Name = "Entra row", ProviderType = App.Features.IdentityProviders.CiamProviderType.EntraId,
            Authority = $"https://login.microsoftonline.com/{legacy.AzureTenantId}/v2.0", ClientId = "portal",
        };
        var lookalike = new App.Features.IdentityProviders.CiamSystem
        {
            Name = "Entra-shaped", ProviderType = App.Features.IdentityProviders.CiamProviderType.EntraId, Authority = "https://127.0.0.1:44300", ClientId = "portal",
        };
        await QueryAsync(database, async db =>
        {
            db.CiamSystems.AddRange(entraRow, lookalike);
            return await db.SaveChangesAsync();
        });
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.IdentityWebScheme, "dev entra", SignInHandler.IdentityWeb, DevIdentityProvider.Authority));
        providers.Add(new SignInProvider("entra-lookalike", "configured", SignInHandler.IdentityWeb, lookalike.Authority));
        string rowScheme = App.Features.IdentityProviders.ProviderSchemes.SchemeFor(entraRow.Id);
        providers.ReplaceRuntime([new SignInProvider(rowScheme, "Entra row", SignInHandler.OpenIdConnect, entraRow.Authority, entraRow.Id, EntraIssued: true)]);
        var service = new SignInService(scopes, providers, new UserAccessService(scopes), TimeProvider.System, NullLogger<SignInService>.Instance);

        // The person's email is not sent (and so cannot link by the email rule): only oid/tid could link them.
        ExternalIdentity Carrying(string scheme, string? issuer, string? tenantId = null) =>
            new(scheme, issuer, "sub-" + scheme, null, "Mallory", legacy.AzureObjectId, tenantId ?? legacy.AzureTenantId);
        var refused = new[]
        {
            Carrying("entra-lookalike", "https://127.0.0.1:44300"), // configured Entra path, issuer not Microsoft's
            Carrying(DevIdentityProvider.IdentityWebScheme, "http://127.0.0.1:5000/"), // development path
            Carrying(rowScheme, "https://login.microsoftonline.com.evil.example/" + legacy.AzureTenantId + "/v2.0"), // runtime Entra row, lookalike host
            Carrying(rowScheme, "http://login.microsoftonline.com/" + legacy.AzureTenantId + "/v2.0"), // not https
            Carrying(rowScheme, "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0"), // Microsoft, but another tenant than the tid claim
            Carrying(rowScheme, null),
        };
        foreach (var identity in refused)
        {
            var outcome = await service.SignInAsync(identity);
            Assert.True(outcome.Denial == SignInDenial.UnknownUser, $"{identity.Scheme} with issuer {identity.Issuer} gave {outcome.Denial}");
            Assert.Null(outcome.Principal);
        }

        Assert.False(await QueryAsync(database, db => db.UserCiamMappings.AnyAsync(m => m.UserId == legacy.Id)));
        Assert.Equal(legacy.LoginCount, await QueryAsync(database, db => db.Users.Where(u => u.Id == legacy.Id).Select(u => u.LoginCount).SingleAsync()));

        // The same claims from Microsoft's issuer for that tenant do link, through the runtime row.
        var genuine = await service.SignInAsync(Carrying(rowScheme, $"https://login.microsoftonline.com/{legacy.AzureTenantId}/v2.0"));
        Assert.Equal(legacy.Id, genuine.UserId);
    }

    [Fact]
    public void EntraIssuers_AcceptOnlyMicrosoftHostsForTheTokensTenant()
    {
        const string tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        Assert.True(EntraIssuers.IsEntraIssuerFor($"https://login.microsoftonline.com/{tid}/v2.0", tid));
        Assert.True(EntraIssuers.IsEntraIssuerFor($"https://sts.windows.net/{tid}/", tid));
        Assert.True(EntraIssuers.IsEntraIssuerFor($"https://contoso.ciamlogin.com/{tid}/v2.0", tid.ToUpperInvariant()));
        Assert.False(EntraIssuers.IsEntraIssuerFor($"https://ciamlogin.com/{tid}/v2.0", tid));
        Assert.False(EntraIssuers.IsEntraIssuerFor($"https://login.microsoftonline.com:8443/{tid}/v2.0", tid));
        Assert.False(EntraIssuers.IsEntraIssuerFor($"https://127.0.0.1/{tid}/v2.0", tid));
        Assert.False(EntraIssuers.IsEntraIssuerFor($"https://login.microsoftonline.com/{tid}/v2.0", null));
        Assert.False(EntraIssuers.IsEntraIssuerFor("not a uri", tid));
    }

    [Theory, BothProviders]
    public async Task SignIn_RefusedCases_GiveTheReasonAndWriteOnlyARefusalAuditEntry(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (service, _) = Create(database);
        var editor = await PersonaAsync(database, PortalRole.Editor);
        var support = await PersonaAsync(database, PortalRole.Support);
        var admin = await PersonaAsync(database, PortalRole.CustomerAdmin);
        await UpdateUserAsync(database, editor.Id, u => u.IsLocked = true);
        await UpdateUserAsync(database, support.Id, u => u.IsActive = false);
        await UpdateUserAsync(database, admin.Id, u => u.PortalRole = null);

        async Task RefusedAsync(SignInDenial expected, string scheme, string subject, long? userId, long? customerId, string? email = null, bool verified = false)
        {
            int auditBefore = await QueryAsync(database, db => db.AuditLog.CountAsync());
            int sessionsBefore = await QueryAsync(database, db => db.PortalSessions.CountAsync());
            int mappingsBefore = await QueryAsync(database, db => db.UserCiamMappings.CountAsync());

            var outcome = await service.SignInAsync(new ExternalIdentity(scheme, "https://idp.example/tenant", subject, email, null, null, null, verified));

            Assert.Equal(expected, outcome.Denial);
            Assert.Null(outcome.Principal);
            // Exactly one row more: the refusal itself, in the right tenant, with the reason, scheme and claimed email.
            Assert.Equal(auditBefore + 1, await QueryAsync(database, db => db.AuditLog.CountAsync()));
            var entry = await QueryAsync(database, db => db.AuditLog.OrderByDescending(a => a.Id).FirstAsync());
            Assert.Equal((AuditActions.SignInRefused, customerId, userId ?? 0), (entry.Action, entry.CustomerId, entry.EntityId));
            using var changes = System.Text.Json.JsonDocument.Parse(entry.Changes!);
            Assert.Equal(expected.ToString(), changes.RootElement.GetProperty("reason").GetString());
            Assert.Equal(scheme, changes.RootElement.GetProperty("scheme").GetString());
            Assert.Equal(email, changes.RootElement.GetProperty("email").GetString());
            Assert.DoesNotContain(subject, entry.Changes);
            Assert.Equal(sessionsBefore, await QueryAsync(database, db => db.PortalSessions.CountAsync()));
            Assert.Equal(mappingsBefore, await QueryAsync(database, db => db.UserCiamMappings.CountAsync()));
        }

        await RefusedAsync(SignInDenial.Locked, DevIdentityProvider.OidcScheme, editor.Subject, editor.Id, editor.CustomerId);
        await RefusedAsync(SignInDenial.Inactive, DevIdentityProvider.OidcScheme, support.Subject, support.Id, support.CustomerId);
        await RefusedAsync(SignInDenial.NoPortalRole, DevIdentityProvider.OidcScheme, admin.Subject, admin.Id, admin.CustomerId);
        // Nobody the portal knows: the refusal is the platform's (the development provider is platform-wide).
        await RefusedAsync(SignInDenial.UnknownUser, DevIdentityProvider.OidcScheme, "dev-unknown", null, null, "nobody@unknown.example", verified: true);
        await RefusedAsync(SignInDenial.EmailNotVerified, DevIdentityProvider.OidcScheme, "dev-unverified", null, null, "nobody@unknown.example");
        await RefusedAsync(SignInDenial.UnknownProvider, "oidc-nowhere", editor.Subject, null, null);
        await UpdateUserAsync(database, editor.Id, u => u.IsLocked = false);
        await QueryAsync(database, async db =>
        {
            (await db.Customers.SingleAsync(c => c.Id == editor.CustomerId)).IsActive = false;
            return await db.SaveChangesAsync();
        });
        await RefusedAsync(SignInDenial.CustomerInactive, DevIdentityProvider.OidcScheme, editor.Subject, editor.Id, editor.CustomerId);
        Assert.Equal(editor.LoginCount, await QueryAsync(database, db => db.Users.Where(u => u.Id == editor.Id).Select(u => u.LoginCount).SingleAsync()));
    }

    [Theory, BothProviders]
    public async Task SignIn_UnverifiedEmailOfAnExistingAccount_IsEmailNotVerifiedAndLinksNothing(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (service, _) = Create(database);
        var legacy = await QueryAsync(database, db => db.Users.Where(u => u.PortalRole == PortalRole.Support && u.OidcSubject == null).Select(u => new { u.Id, u.Email }).SingleAsync());

        var outcome = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, null, "claims-the-email", legacy.Email, null, null, null, EmailVerified: false));

        Assert.Equal(SignInDenial.EmailNotVerified, outcome.Denial);
        Assert.Null(outcome.UserId);
        Assert.False(await QueryAsync(database, db => db.UserCiamMappings.AnyAsync(m => m.ExternalSubject == "claims-the-email")));
    }

    [Theory, BothProviders]
    public async Task SessionCheck_TokensRevokedAfterSignIn_EndsTheSession(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (service, access) = Create(database);
        var persona = await PersonaAsync(database, PortalRole.Support);
        var outcome = await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, null, persona.Subject, null, null, null, null));
        Assert.True(UserAccessService.IsSessionValid(await access.GetAsync(persona.Id, fresh: true), outcome.Principal!));

        await UpdateUserAsync(database, persona.Id, u => u.TokensRevokedAt = DateTime.UtcNow.AddSeconds(1));

        Assert.False(UserAccessService.IsSessionValid(await access.GetAsync(persona.Id, fresh: true), outcome.Principal!));
    }
    [Theory, BothProviders]
    public async Task SignIn_ThroughACustomersProvider_NeverOpensAPlatformAdminSession_OrTrustsEntraIdsByTypeAlone(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var admin = await PersonaAsync(database, PortalRole.PlatformAdmin);
        var legacyAzure = await QueryAsync(database, db => db.Users.FirstAsync(u => u.CustomerId == admin.CustomerId && u.AzureObjectId != null && u.PortalRole == null));

        // A provider the platform admin's customer controls, typed "Entra ID" but on the customer's own host, and a
        // mapping from it to the platform admin (as a customer admin could arrange).
        var rogue = new App.Features.IdentityProviders.CiamSystem
        {
            CustomerId = admin.CustomerId, Name = "Rogue", ProviderType = App.Features.IdentityProviders.CiamProviderType.EntraId,
            Authority = "https://sso.customer.example", ClientId = "portal",
        };
        await QueryAsync(database, async db =>
        {
            db.CiamSystems.Add(rogue);
            await db.SaveChangesAsync();
            db.UserCiamMappings.Add(new App.Features.IdentityProviders.UserCiamMapping { UserId = admin.Id, CustomerId = admin.CustomerId, CiamSystemId = rogue.Id, ExternalSubject = "rogue-admin" });
            return await db.SaveChangesAsync();
        });

        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        var providers = new SignInProviders();
        string scheme = App.Features.IdentityProviders.ProviderSchemes.SchemeFor(rogue.Id);
        // What ProviderSchemes registers for this row: its host is not Microsoft's, so its oid/tid are not trusted.
        providers.ReplaceRuntime([new SignInProvider(scheme, "Rogue", SignInHandler.OpenIdConnect, rogue.Authority, rogue.Id, EntraIssued: false)]);
        var service = new SignInService(scopes, providers, new UserAccessService(scopes), TimeProvider.System, NullLogger<SignInService>.Instance);

        var outcome = await service.SignInAsync(new ExternalIdentity(scheme, null, "rogue-admin", null, null, null, null));
        Assert.Equal(SignInDenial.PlatformAdminNeedsPlatformProvider, outcome.Denial);
        Assert.Null(outcome.Principal);
        Assert.Equal(admin.LoginCount, await QueryAsync(database, db => db.Users.Where(u => u.Id == admin.Id).Select(u => u.LoginCount).SingleAsync()));

        var forged = await service.SignInAsync(new ExternalIdentity(scheme, null, "forged", null, null, legacyAzure.AzureObjectId, legacyAzure.AzureTenantId));
        Assert.Equal(SignInDenial.UnknownUser, forged.Denial);
        Assert.False(await QueryAsync(database, db => db.UserCiamMappings.AnyAsync(m => m.CiamSystemId == rogue.Id && m.UserId == legacyAzure.Id)));
    }

    [Theory, BothProviders]
    public async Task SignIn_Refused_LogsSchemeReasonIssuerHostAndSubjectHashOnly(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var logs = new System.Collections.Concurrent.ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel Level, string Text)>();
        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "dev", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        var service = new SignInService(scopes, providers, new UserAccessService(scopes), TimeProvider.System, new ListLogger(logs));

        await service.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, "https://idp.example/tenant-x", "secret-subject-42", "someone@x.example", "Someone", null, null, EmailVerified: false));

        var (level, text) = Assert.Single(logs);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, level);
        Assert.Contains(DevIdentityProvider.OidcScheme, text);
        Assert.Contains(nameof(SignInDenial.EmailNotVerified), text);
        Assert.Contains("idp.example", text);
        Assert.Contains(SignInService.SubjectHash("secret-subject-42"), text);
        Assert.DoesNotContain("secret-subject-42", text);
        Assert.DoesNotContain("someone@x.example", text);
        Assert.DoesNotContain("tenant-x", text);
    }

    private sealed class ListLogger(System.Collections.Concurrent.ConcurrentQueue<(Microsoft.Extensions.Logging.LogLevel, string)> logs) : Microsoft.Extensions.Logging.ILogger<SignInService>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Enqueue((logLevel, formatter(state, exception)));
    }
}
