using System.Collections.Concurrent;
using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdminPortal.Tests.Features.IdentityProviders;

/// <summary>
/// One portal instance's worth of services for the identity providers area, on a shared test database: several of
/// them on the same database behave like several portal instances (shared Data Protection keys, polling).
/// </summary>
internal sealed class PortalInstance : IAsyncDisposable
{
    public PortalInstance(DatabaseOptions database, string environment = "Production", TimeSpan? refreshInterval = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(new CapturingLoggerProvider(Logs)));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["IdentityProviders:RefreshInterval"] = (refreshInterval ?? TimeSpan.FromMinutes(10)).ToString(),
            // 3 s: long enough for the local stub on a loaded machine (1 s failed there), short of its 5 s "/slow".
            ["IdentityProviders:ConnectionTestTimeout"] = "00:00:03",
        }).Build());
        services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment, ApplicationName = "AdminPortal", ContentRootPath = AppContext.BaseDirectory });
        services.AddSingleton(TimeProvider.System);
        services.AddPortalData(database);
        services.AddAuthentication();
        services.AddSingleton(new SignInProviders());
        services.AddIdentityProviders();
        Services = services.BuildServiceProvider();
    }

    public ServiceProvider Services { get; }

    public ConcurrentQueue<string> Logs { get; } = new();

    public ProviderSchemes Schemes => Services.GetRequiredService<ProviderSchemes>();

    public AsyncServiceScope Scope(TenantScope tenant)
    {
        var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(tenant);
        return scope;
    }

    public async Task<T> AsAsync<T>(TenantScope tenant, Func<IdentityProviderService, Task<T>> action)
    {
        await using var scope = Scope(tenant);
        return await action(scope.ServiceProvider.GetRequiredService<IdentityProviderService>());
    }

    public async Task<bool> HasSchemeAsync(string scheme) =>
        await Services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(scheme) is not null
        && Services.GetRequiredService<SignInProviders>().Find(scheme) is not null;

    public ValueTask DisposeAsync() => Services.DisposeAsync();

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> logs) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(logs);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue(formatter(state, exception) + " " + exception);
        }
    }
}

public class IdentityProviderServiceTests(StubIdentityProviders stub) : IClassFixture<StubIdentityProviders>
{
    private static readonly TenantScope Platform = TenantScope.System("platform admin");

    private static ProviderForm Form(string name, string? customerId = null, string authority = "https://sso.example.com/realms/acme", string clientId = "portal", string scopes = "openid profile email", bool enabled = true, string? secret = null) =>
        new(null, customerId, name, CiamProviderType.Oidc, authority, clientId, scopes, enabled, secret);

    private static async Task<(long Contoso, long Fabrikam)> CustomersAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var ids = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
        return (ids["contoso"], ids["fabrikam"]);
    }

    [Theory, BothProviders]
    public async Task Crud_ValidatesEveryField_KeepsOwnersApart_AndGuardsDelete(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var portal = new PortalInstance(database.Options);
        var (contoso, fabrikam) = await CustomersAsync(database);
        var contosoAdmin = TenantScope.ForCustomer(contoso, "contoso admin");
        var fabrikamAdmin = TenantScope.ForCustomer(fabrikam, "fabrikam admin");

        // Every field says what is wrong with it, and nothing is saved.
        var (invalid, _) = await portal.AsAsync(Platform, s => s.SaveAsync(Form(" ", authority: "sso.example.com", clientId: "", scopes: "profile email")));
        Assert.Equal(["Authority", "ClientId", "Name", "Scopes"], invalid.Errors.Keys.Order());
        Assert.Contains("https", (await portal.AsAsync(Platform, s => s.SaveAsync(Form("Plain", authority: "http://sso.example.com")))).Result.Errors["Authority"]);
        Assert.Contains("https", (await portal.AsAsync(Platform, s => s.SaveAsync(Form("Loopback", authority: "http://127.0.0.1:8080")))).Result.Errors["Authority"]);
        Assert.True((await portal.AsAsync(Platform, s => s.SaveAsync(Form("Long secret", secret: new string('x', 1001))))).Result.Errors.ContainsKey("Secret"));

        // A configured scheme's authority is taken: a second row would take over whose users it signs in.
        portal.Services.GetRequiredService<SignInProviders>().Add(new SignInProvider("oidc-acme", "Acme (configured)", SignInHandler.OpenIdConnect, "https://sso.configured.example"));
        Assert.Contains("configured at start-up", (await portal.AsAsync(contosoAdmin, s => s.SaveAsync(Form("Hijack", authority: "https://sso.configured.example/")))).Result.Errors["Authority"]);

        var (created, platformId) = await portal.AsAsync(Platform, s => s.SaveAsync(Form("Platform Okta", authority: "https://example.okta.com/")));
        Assert.True(created.Succeeded);
        var (contosoCreated, contosoId) = await portal.AsAsync(Platform, s => s.SaveAsync(Form("Contoso Auth0", customerId: contoso.ToString())));
        Assert.True(contosoCreated.Succeeded);
        Assert.Contains("already has this name", (await portal.AsAsync(Platform, s => s.SaveAsync(Form("Contoso Auth0", customerId: contoso.ToString())))).Result.Errors["Name"]);

        var saved = (await portal.AsAsync(Platform, s => s.GetAsync(long.Parse(platformId!))))!;
        Assert.Equal(("https://example.okta.com", "Platform", (string?)null), (saved.Authority, saved.Owner, saved.CustomerId));

        // A customer admin sees their own and the platform's providers, edits only their own, and creates only for
        // their own customer whatever the form says.
        var fabrikamView = await portal.AsAsync(fabrikamAdmin, s => s.ListAsync());
        Assert.DoesNotContain(fabrikamView, r => r.Name == "Contoso Auth0");
        Assert.False(fabrikamView.Single(r => r.Name == "Platform Okta").CanEdit);
        Assert.Null(await portal.AsAsync(fabrikamAdmin, s => s.GetAsync(long.Parse(contosoId!))));
        var refused = await portal.AsAsync(fabrikamAdmin, s => s.SaveAsync(Form("Taken over", authority: saved.Authority) with { Id = saved.Id, Version = saved.Version }));
        Assert.Contains("platform admin", refused.Result.Errors["Action"]);
        Assert.Contains("platform admin", (await portal.AsAsync(fabrikamAdmin, s => s.DeleteAsync(long.Parse(platformId!)))).Errors["Action"]);
        Assert.True((await portal.AsAsync(fabrikamAdmin, s => s.DeleteAsync(long.Parse(contosoId!)))).NotFound);
        Assert.Null(await portal.AsAsync(fabrikamAdmin, s => s.TestConnectionAsync(long.Parse(contosoId!), "https://portal.example/")));
        var (own, ownId) = await portal.AsAsync(fabrikamAdmin, s => s.SaveAsync(Form("Fabrikam Okta", customerId: contoso.ToString())));
        Assert.True(own.Succeeded);
        Assert.Equal(fabrikam.ToString(), (await portal.AsAsync(Platform, s => s.GetAsync(long.Parse(ownId!))))!.CustomerId);

        // Owners never change; a stale form is a conflict, not an overwrite.
        var contosoProvider = (await portal.AsAsync(Platform, s => s.GetAsync(long.Parse(contosoId!))))!;
        var move = await portal.AsAsync(Platform, s => s.SaveAsync(Form("Contoso Auth0", customerId: fabrikam.ToString()) with { Id = contosoProvider.Id, Version = contosoProvider.Version }));
        Assert.Contains("cannot move", move.Result.Errors["Customer"]);
        Assert.True((await portal.AsAsync(Platform, s => s.SaveAsync(Form("Contoso Auth0 (new)", customerId: contoso.ToString()) with { Id = contosoProvider.Id, Version = contosoProvider.Version }))).Result.Succeeded);
        var stale = await portal.AsAsync(Platform, s => s.SaveAsync(Form("Contoso Auth0 (stale)", customerId: contoso.ToString()) with { Id = contosoProvider.Id, Version = contosoProvider.Version }));
        Assert.NotNull(stale.Result.Conflict);

        // Mapped users, counted within the viewer's tenant; a provider with links cannot be deleted, an unused one can.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            long devId = await context.Db.CiamSystems.Where(c => c.Authority == DevIdentityProvider.Authority).Select(c => c.Id).SingleAsync();
            int all = await context.Db.UserCiamMappings.CountAsync(m => m.CiamSystemId == devId);
            int contosoLinks = await context.Db.UserCiamMappings.CountAsync(m => m.CiamSystemId == devId && m.User!.CustomerId == contoso);
            Assert.Equal(all, (await portal.AsAsync(Platform, s => s.GetAsync(devId)))!.MappedUsers.Value);
            Assert.Equal(contosoLinks, (await portal.AsAsync(contosoAdmin, s => s.GetAsync(devId)))!.MappedUsers.Value);
            Assert.InRange(contosoLinks, 1, all - 1);
            Assert.Contains($"still links {all} user(s)", (await portal.AsAsync(Platform, s => s.DeleteAsync(devId))).Errors["Action"]);
        }

        Assert.True((await portal.AsAsync(Platform, s => s.DeleteAsync(long.Parse(platformId!)))).Succeeded);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            Assert.False(await context.Db.CiamSystems.AnyAsync(c => c.Id == long.Parse(platformId!)));
            Assert.True(await context.Db.CiamSystems.AnyAsync(c => c.Authority == DevIdentityProvider.Authority));
        }
    }

    [Theory, BothProviders]
    public async Task ClientSecret_IsEncryptedAtRest_WriteOnly_NeverAuditedOrLogged_AndASecondInstanceDecryptsIt(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var first = new PortalInstance(database.Options);
        string secret = "s3cret-" + Guid.NewGuid().ToString("N");

        Assert.DoesNotContain(secret, Form("Secret holder", secret: secret).ToString());
        var (result, id) = await first.AsAsync(Platform, s => s.SaveAsync(Form("Secret holder", secret: secret)));
        Assert.True(result.Succeeded);
        long providerId = long.Parse(id!);

        string stored;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var row = await context.Db.CiamSystems.AsNoTracking().SingleAsync(c => c.Id == providerId);
            stored = row.ClientSecretProtected!;
            Assert.DoesNotContain(secret, stored);
            Assert.NotNull(row.ClientSecretSetAt);

            // The audit says only that the secret changed: neither the secret nor its ciphertext is in it.
            var changes = await context.Db.AuditLog.Where(a => a.EntityId == providerId).Select(a => a.Changes).ToListAsync();
            Assert.Contains(changes, c => c!.Contains("client_secret_protected"));
            Assert.DoesNotContain(changes, c => c!.Contains(secret) || c.Contains(stored));

            // The key ring is in the database, and the portal's own context cannot read it.
            Assert.Empty(await context.Db.Set<DataProtectionKey>().ToListAsync());
        }

        await using (var keys = first.Services.CreateAsyncScope())
        {
            Assert.NotEmpty(await keys.ServiceProvider.GetRequiredService<DataProtectionKeyContext>().DataProtectionKeys.ToListAsync());
        }

        // The detail never carries the secret, only when it was set.
        var detail = (await first.AsAsync(Platform, s => s.GetAsync(providerId)))!;
        Assert.DoesNotContain(secret, detail.ToString());
        Assert.DoesNotContain(stored, detail.ToString());

        // A second instance on the same database shares the keys: its OIDC options carry the decrypted secret.
        await using (var second = new PortalInstance(database.Options))
        {
            Assert.Equal(secret, second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(ProviderSchemes.ClientSecretPurpose).Unprotect(stored));
            await second.Schemes.RefreshAsync();
            Assert.Equal(secret, second.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(ProviderSchemes.SchemeFor(providerId)).ClientSecret);
        }

        // Saving with the field empty keeps the secret; removing it clears it.
        var form = Form("Secret holder (renamed)") with { Id = id, Version = detail.Version };
        Assert.True((await first.AsAsync(Platform, s => s.SaveAsync(form))).Result.Succeeded);
        detail = (await first.AsAsync(Platform, s => s.GetAsync(providerId)))!;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            Assert.Equal(stored, await context.Db.CiamSystems.Where(c => c.Id == providerId).Select(c => c.ClientSecretProtected).SingleAsync());
        }

        Assert.True((await first.AsAsync(Platform, s => s.SaveAsync(form with { Version = detail.Version, ClearSecret = true }))).Result.Succeeded);
        Assert.Null((await first.AsAsync(Platform, s => s.GetAsync(providerId)))!.ClientSecretSetAt);

        // Nothing logged the secret, at any level, EF's SQL included.
        Assert.NotEmpty(first.Logs);
        Assert.DoesNotContain(first.Logs, line => line.Contains(secret));
    }

    [Theory, BothProviders]
    public async Task Schemes_GoLiveAtOnce_BrokenProvidersStayOut_AndOtherInstancesFollowByPolling(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var first = new PortalInstance(database.Options);
        await using var second = new PortalInstance(database.Options, refreshInterval: TimeSpan.FromMilliseconds(200));
        var poller = second.Services.GetRequiredService<IEnumerable<Microsoft.Extensions.Hosting.IHostedService>>().OfType<ProviderSchemes>().Single();
        await poller.StartAsync(CancellationToken.None);
        try
        {
            var (_, id) = await first.AsAsync(Platform, s => s.SaveAsync(Form("Live provider")));
            string scheme = ProviderSchemes.SchemeFor(long.Parse(id!));
            Assert.True(await first.HasSchemeAsync(scheme));
            Assert.Equal(ProviderSchemes.CallbackPathFor(long.Parse(id!)), first.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(scheme).CallbackPath);
            await WaitForAsync(() => second.HasSchemeAsync(scheme), expected: true);

            // The middleware asks one dispatcher about callbacks, not every provider; the dispatcher knows them by path.
            var requestSchemes = await first.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetRequestHandlerSchemesAsync();
            Assert.DoesNotContain(requestSchemes, s => s.Name.StartsWith(ProviderSchemes.SchemePrefix, StringComparison.Ordinal));
            Assert.Contains(requestSchemes, s => s.Name == ProviderCallbackDispatcher.Scheme);
            Assert.Equal(scheme, ProviderCallbackDispatcher.SchemeOfCallback(ProviderSchemes.CallbackPathFor(long.Parse(id!))));
            Assert.Equal(scheme, ProviderCallbackDispatcher.SchemeOfCallback($"/signout-callback-{scheme}"));
            Assert.Null(ProviderCallbackDispatcher.SchemeOfCallback($"/signin-{scheme}/more"));
            Assert.Null(ProviderCallbackDispatcher.SchemeOfCallback("/users"));

            // Rows that cannot work, written past the service's validation: none becomes a scheme, each says why.
            long plainHttp, noClient, badSecret;
            await using (var context = await database.ContextAsync(TenantScope.System()))
            {
                var broken = new[]
                {
                    new CiamSystem { Name = "Plain http", Authority = "http://sso.example.com", ClientId = "portal" },
                    new CiamSystem { Name = "No client", Authority = "https://sso.example.com", ClientId = "" },
                    new CiamSystem { Name = "Bad secret", Authority = "https://sso.example.com", ClientId = "portal", ClientSecretProtected = "not-a-protected-payload" },
                };
                context.Db.CiamSystems.AddRange(broken);
                await context.Db.SaveChangesAsync();
                (plainHttp, noClient, badSecret) = (broken[0].Id, broken[1].Id, broken[2].Id);
            }

            await first.Schemes.RefreshAsync();
            Assert.Contains("https", first.Schemes.StatusOf(plainHttp)!.Text);
            Assert.Contains("client id", first.Schemes.StatusOf(noClient)!.Text);
            Assert.Contains("decrypted", first.Schemes.StatusOf(badSecret)!.Text);
            foreach (long broken in new[] { plainHttp, noClient, badSecret })
            {
                Assert.False(first.Schemes.StatusOf(broken)!.Offered);
                Assert.False(await first.HasSchemeAsync(ProviderSchemes.SchemeFor(broken)));
            }

            Assert.True(await first.HasSchemeAsync(scheme));
            Assert.True(first.Schemes.StatusOf(long.Parse(id!))!.Offered);

            // oid and tid are trusted from Microsoft's hosts only, whatever type an admin picked.
            var (_, lookalike) = await first.AsAsync(Platform, s => s.SaveAsync(Form("Lookalike Entra") with { Type = CiamProviderType.EntraId }));
            var (_, entra) = await first.AsAsync(Platform, s => s.SaveAsync(Form("Real Entra", authority: "https://login.microsoftonline.com/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0") with { Type = CiamProviderType.EntraId }));
            var signIn = first.Services.GetRequiredService<SignInProviders>();
            Assert.False(signIn.Find(ProviderSchemes.SchemeFor(long.Parse(lookalike!)))!.TrustsEntraIds);
            Assert.True(signIn.Find(ProviderSchemes.SchemeFor(long.Parse(entra!)))!.TrustsEntraIds);
            // The same host list as the issuer check: the US Government cloud is Microsoft's, a look-alike suffix is not.
            var (_, government) = await first.AsAsync(Platform, s => s.SaveAsync(Form("Government Entra", authority: "https://login.microsoftonline.us/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0") with { Type = CiamProviderType.EntraId }));
            var (_, suffixed) = await first.AsAsync(Platform, s => s.SaveAsync(Form("Suffixed Entra", authority: "https://login.microsoftonline.com.evil.example/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0") with { Type = CiamProviderType.EntraId }));
            Assert.True(signIn.Find(ProviderSchemes.SchemeFor(long.Parse(government!)))!.TrustsEntraIds);
            Assert.False(signIn.Find(ProviderSchemes.SchemeFor(long.Parse(suffixed!)))!.TrustsEntraIds);

            // Disabled: gone here at once, and from the other instance at its next poll.
            var detail = (await first.AsAsync(Platform, s => s.GetAsync(long.Parse(id!))))!;
            Assert.True((await first.AsAsync(Platform, s => s.SaveAsync(Form("Live provider", enabled: false) with { Id = id, Version = detail.Version }))).Result.Succeeded);
            Assert.False(await first.HasSchemeAsync(scheme));
            await WaitForAsync(() => second.HasSchemeAsync(scheme), expected: false);
        }
        finally
        {
            await poller.StopAsync(CancellationToken.None);
        }
    }

    [Theory, BothProviders]
    public async Task TestConnection_RunsTheChecksAgainstTheSavedProvider(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var portal = new PortalInstance(database.Options, environment: Environments.Development);

        async Task<ConnectionTestResult> TestAsync(string path, string secret = "right-secret", string? name = null)
        {
            var (saved, id) = await portal.AsAsync(Platform, s => s.SaveAsync(Form(name ?? "Stub " + path, authority: stub.BaseAddress + path, clientId: "stub-client", secret: secret)));
            Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
            return (await portal.AsAsync(Platform, s => s.TestConnectionAsync(long.Parse(id!), "https://portal.example/")))!;
        }

        var good = await TestAsync("/good");
        Assert.True(good.Passed, string.Join("\n", good.Checks));
        Assert.Equal(CheckOutcome.Passed, good.Checks.Single(c => c.Name == ProviderConnectionTester.ClientCredentialsCheck).Outcome);
        // The stored secret is the one sent: a wrong one fails the credential check alone, with the plain message.
        var wrong = await TestAsync("/good", secret: "wrong-secret", name: "Stub with a wrong secret");
        var refused = Assert.Single(wrong.Checks, c => c.Outcome == CheckOutcome.Failed);
        Assert.Equal(ProviderConnectionTester.ClientCredentialsCheck, refused.Name);
        Assert.StartsWith(ProviderConnectionTester.RefusedCredentialsMessage, refused.Detail);
        Assert.DoesNotContain("wrong-secret", string.Join("\n", wrong.Checks));
        Assert.StartsWith("https://portal.example/signin-ciam-", good.RedirectUri);
        Assert.Equal(CheckOutcome.Failed, Check(await TestAsync("/wrong-issuer"), "Issuer").Outcome);
        Assert.Equal(CheckOutcome.Failed, Check(await TestAsync("/no-keys"), "Signing keys (JWKS)").Outcome);
        Assert.Contains("3 s", Check(await TestAsync("/slow"), "Discovery document").Detail);
        Assert.Contains("JSON", Check(await TestAsync("/invalid-json"), "Discovery document").Detail);

        static ConnectionCheck Check(ConnectionTestResult result, string name) =>
            result.Checks.SingleOrDefault(c => c.Name == name) ?? throw new Xunit.Sdk.XunitException($"No \"{name}\" check in:\n{string.Join("\n", result.Checks)}");
    }

    [Theory, BothProviders]
    public async Task TestConnection_OutsideDevelopment_NeverReachesLoopbackOrPrivateAddresses(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        await using var portal = new PortalInstance(database.Options, environment: Environments.Production);
        var stubUri = new Uri(stub.BaseAddress);

        // https passes the form's rule; the address it resolves to does not, so nothing is fetched from it.
        var (saved, id) = await portal.AsAsync(Platform, s => s.SaveAsync(Form("Inner", authority: $"https://127.0.0.1:{stubUri.Port}/good")));
        Assert.True(saved.Succeeded);
        var discovery = (await portal.AsAsync(Platform, s => s.TestConnectionAsync(long.Parse(id!), "https://portal.example/")))!.Checks.Single(c => c.Name == "Discovery document");
        Assert.Equal(CheckOutcome.Failed, discovery.Outcome);
        Assert.Contains("loopback, private or link-local", discovery.Detail);

        var policy = portal.Services.GetRequiredService<ProviderNetworkPolicy>();
        Assert.All(new[] { "127.0.0.1", "::1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "fd00::1", "fe80::1", "0.0.0.0", "::ffff:10.0.0.1" },
            address => Assert.False(policy.IsAllowed(System.Net.IPAddress.Parse(address)), address));
        Assert.All(new[] { "20.190.160.1", "2603:1006::1", "172.32.0.1" }, address => Assert.True(policy.IsAllowed(System.Net.IPAddress.Parse(address)), address));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, bool expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await condition() != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Still {!expected} after 10 s.");
            await Task.Delay(100);
        }
    }
}

public class IssuerCheckTests
{
    [Theory]
    [InlineData(CiamProviderType.EntraExternalId, "https://contoso.ciamlogin.com/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0", "https://8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64.ciamlogin.com/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0", CheckOutcome.Passed)]
    [InlineData(CiamProviderType.EntraExternalId, "https://contoso.ciamlogin.com/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0", "https://other.ciamlogin.com/00000000-0000-0000-0000-000000000000/v2.0", CheckOutcome.Failed)]
    [InlineData(CiamProviderType.Oidc, "https://contoso.ciamlogin.com/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0", "https://8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64.ciamlogin.com/8f2a6c1e-0b7d-4e59-9c3a-5d1f0e2b7a64/v2.0", CheckOutcome.Failed)]
    public void ExternalId_TenantIdFormOfTheIssuer_Matches(CiamProviderType type, string authority, string issuer, CheckOutcome expected)
    {
        using var discovery = System.Text.Json.JsonDocument.Parse($$"""{"issuer":"{{issuer}}"}""");
        Assert.Equal(expected, ProviderConnectionTester.CheckIssuer(type, discovery.RootElement, authority, new Uri(authority)).Outcome);
    }
}
