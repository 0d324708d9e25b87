using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.IdentityProviders;

/// <summary>Configured providers get their ciam_systems row at start-up: created once, matched after, audited, never twice.</summary>
public class ConfiguredProviderRowsTests
{
    private static readonly TenantScope Platform = TenantScope.System("platform admin");

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    /// <summary>What AuthSetup.AddIdentity does with the configuration's two sections.</summary>
    private static ConfiguredProviders Validate(IConfiguration configuration, ConfiguredProviders? into = null)
    {
        var configured = into ?? new ConfiguredProviders(new HostingEnvironment { EnvironmentName = Environments.Production });
        foreach (var section in configuration.GetSection("Authentication:Entra").GetChildren())
        {
            configured.Accept(section, ConfiguredProviderKind.Entra, "entra-" + section.Key.ToLowerInvariant());
        }

        foreach (var section in configuration.GetSection("Authentication:Oidc").GetChildren())
        {
            configured.Accept(section, ConfiguredProviderKind.Oidc, "oidc-" + section.Key.ToLowerInvariant());
        }

        return configured;
    }

    private static readonly IConfiguration ThreeProviders = Configuration(
        ("Authentication:Oidc:keycloak:DisplayName", "Fabrikam Keycloak (configured)"),
        ("Authentication:Oidc:keycloak:Authority", "https://sso.configured.example/realms/fabrikam/"),
        ("Authentication:Oidc:keycloak:ClientId", "admin-portal"),
        ("Authentication:Oidc:keycloak:ClientSecret", "never-stored-7d2f"),
        ("Authentication:Entra:contoso:Instance", "https://login.microsoftonline.com/"),
        ("Authentication:Entra:contoso:TenantId", "11111111-2222-3333-4444-555555555555"),
        ("Authentication:Entra:contoso:ClientId", "entra-client"),
        ("Authentication:Entra:external:Authority", "https://woodgrove.ciamlogin.com/66666666-7777-8888-9999-000000000000/v2.0"),
        ("Authentication:Entra:external:ClientId", "ciam-client"),
        ("Authentication:Entra:external:DisplayName", "Woodgrove customers"));

    private static async Task<List<CiamSystem>> RowsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.CiamSystems.AsNoTracking().OrderBy(c => c.Authority).ToListAsync();
    }

    private static async Task<List<string>> AuditActionsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.AuditLog.AsNoTracking().Where(a => a.EntityType == nameof(CiamSystem)).Select(a => a.Action).ToListAsync();
    }

    [Theory, BothProviders]
    public async Task EnsureRows_FirstStart_CreatesEnabledPlatformRows_AuditedOnce_AndARestartMatchesThem(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        var configured = Validate(ThreeProviders);
        Assert.Empty(configured.Problems);

        var first = await new ConfiguredProviderRows(database.Services.GetRequiredService<IServiceScopeFactory>(), configured, NullLogger<ConfiguredProviderRows>.Instance).EnsureRowsAsync();
        Assert.All(first.Values, outcome => Assert.Equal(ConfiguredRowOutcome.Created, outcome));

        var rows = await RowsAsync(database);
        Assert.Equal(
            [
                ("https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0", CiamProviderType.EntraId, "Microsoft Entra ID", "entra-client"),
                ("https://sso.configured.example/realms/fabrikam", CiamProviderType.Oidc, "Fabrikam Keycloak (configured)", "admin-portal"),
                ("https://woodgrove.ciamlogin.com/66666666-7777-8888-9999-000000000000/v2.0", CiamProviderType.EntraExternalId, "Woodgrove customers", "ciam-client"),
            ],
            rows.Select(r => (r.Authority, r.ProviderType, r.Name, r.ClientId)));
        Assert.All(rows, r => Assert.True(r.IsEnabled && r.CustomerId is null && r.ClientSecretProtected is null));
        Assert.Equal(Enumerable.Repeat(ConfiguredProviderRows.CreateAction, 3), await AuditActionsAsync(database));

        // A restart (a new instance of everything) matches the rows: nothing new, nothing audited.
        var second = await new ConfiguredProviderRows(database.Services.GetRequiredService<IServiceScopeFactory>(), Validate(ThreeProviders), NullLogger<ConfiguredProviderRows>.Instance).EnsureRowsAsync();
        Assert.All(second.Values, outcome => Assert.Equal(ConfiguredRowOutcome.Matched, outcome));
        Assert.Equal(rows.Select(r => r.Id), (await RowsAsync(database)).Select(r => r.Id));
        Assert.Equal(3, (await AuditActionsAsync(database)).Count);
    }

    [Theory, BothProviders]
    public async Task EnsureRows_TwoInstancesStartAtOnce_CreateEachRowOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider);
        // A second instance: its own services, connections and retry strategy, on the same database.
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddPortalData(database.Options);
        await using var otherInstance = services.BuildServiceProvider();

        for (int round = 0; round < 3; round++)
        {
            var configuration = Configuration(
                ($"Authentication:Oidc:race{round}:Authority", $"https://race{round}.example/realms/r"),
                ($"Authentication:Oidc:race{round}:ClientId", "portal"),
                ($"Authentication:Oidc:other{round}:Authority", $"https://other{round}.example"),
                ($"Authentication:Oidc:other{round}:ClientId", "portal"));
            var one = new ConfiguredProviderRows(database.Services.GetRequiredService<IServiceScopeFactory>(), Validate(configuration), NullLogger<ConfiguredProviderRows>.Instance);
            var two = new ConfiguredProviderRows(otherInstance.GetRequiredService<IServiceScopeFactory>(), Validate(configuration), NullLogger<ConfiguredProviderRows>.Instance);

            var outcomes = await Task.WhenAll(Task.Run(() => one.EnsureRowsAsync()), Task.Run(() => two.EnsureRowsAsync()));

            foreach (string section in outcomes[0].Keys)
            {
                // One instance created it, the other matched it (in either order).
                Assert.Equal([ConfiguredRowOutcome.Created, ConfiguredRowOutcome.Matched], outcomes.Select(o => o[section]).Order());
            }
        }

        var rows = await RowsAsync(database);
        Assert.Equal(6, rows.Count);
        Assert.Equal(6, rows.Select(r => r.Authority).Distinct().Count());
        Assert.Equal(6, (await AuditActionsAsync(database)).Count(a => a == ConfiguredProviderRows.CreateAction));
    }

    [Theory, BothProviders]
    public async Task EnsureRows_DisabledRowWithTheAuthority_IsMatchedAndEnabled_Audited(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        // The demo data's Fabrikam Keycloak row is seeded disabled.
        var configuration = Configuration(
            ("Authentication:Oidc:keycloak:Authority", "https://sso.fabrikam.example/realms/fabrikam"),
            ("Authentication:Oidc:keycloak:ClientId", "admin-portal"));
        int before = (await RowsAsync(database)).Count;

        var outcome = await new ConfiguredProviderRows(database.Services.GetRequiredService<IServiceScopeFactory>(), Validate(configuration), NullLogger<ConfiguredProviderRows>.Instance).EnsureRowsAsync();

        Assert.Equal(ConfiguredRowOutcome.Enabled, outcome["Authentication:Oidc:keycloak"]);
        var rows = await RowsAsync(database);
        Assert.Equal(before, rows.Count);
        Assert.True(rows.Single(r => r.Authority == "https://sso.fabrikam.example/realms/fabrikam").IsEnabled);
        Assert.Contains(ConfiguredProviderRows.EnableAction, await AuditActionsAsync(database));
    }

    [Theory, BothProviders]
    public async Task Service_RowFromConfiguration_IsListedReadOnly_AndRefusesEditAndDelete(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var portal = new PortalInstance(database.Options);
        var configured = Validate(ThreeProviders, portal.Services.GetRequiredService<ConfiguredProviders>());
        await new ConfiguredProviderRows(portal.Services.GetRequiredService<IServiceScopeFactory>(), configured, NullLogger<ConfiguredProviderRows>.Instance).EnsureRowsAsync();

        var list = await portal.AsAsync(Platform, s => s.ListAsync());
        var row = list.Single(r => r.Name == "Fabrikam Keycloak (configured)");
        Assert.Equal(("Authentication:Oidc:keycloak", false), (row.ConfigurationSection, row.CanEdit));
        Assert.All(list.Where(r => r.ConfigurationSection is null && r.Name == "Development sign-in"), r => Assert.True(r.CanEdit));

        var detail = (await portal.AsAsync(Platform, s => s.GetAsync(long.Parse(row.Id))))!;
        Assert.Equal(("Authentication:Oidc:keycloak", false), (detail.ConfigurationSection, detail.CanEdit));

        var form = new ProviderForm(detail.Id, null, "Renamed", detail.Type, detail.Authority, detail.ClientId, detail.Scopes, false, Version: detail.Version);
        var (edit, _) = await portal.AsAsync(Platform, s => s.SaveAsync(form));
        Assert.Contains("configuration", edit.Errors["Action"]);
        var delete = await portal.AsAsync(Platform, s => s.DeleteAsync(long.Parse(row.Id)));
        Assert.Contains("configuration", delete.Errors["Action"]);
        Assert.Contains((await RowsAsync(database)), r => r.Name == "Fabrikam Keycloak (configured)" && r.IsEnabled);

        // Configuration problems are for platform admins only.
        Assert.Empty(await portal.AsAsync(Platform, s => s.ConfigurationProblemsAsync()));
        configured.Accept(Configuration(("Authentication:Oidc:broken:Authority", "http://sso.broken.example")).GetSection("Authentication:Oidc:broken"), ConfiguredProviderKind.Oidc, "oidc-broken");
        Assert.Single(await portal.AsAsync(Platform, s => s.ConfigurationProblemsAsync()));
        long contoso;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        Assert.Empty(await portal.AsAsync(TenantScope.ForCustomer(contoso, "contoso admin"), s => s.ConfigurationProblemsAsync()));
    }

    [Fact]
    public void Validate_EachInvalidOption_IsAProblemWithItsReason_NeverTheSecret()
    {
        var production = Validate(Configuration(
            ("Authentication:Oidc:plain:Authority", "http://sso.example.com"),
            ("Authentication:Oidc:plain:ClientId", "portal"),
            ("Authentication:Oidc:plain:ClientSecret", "s3cret-value-91"),
            ("Authentication:Oidc:noclient:Authority", "https://sso.example.com"),
            ("Authentication:Oidc:relative:Authority", "sso.example.com"),
            ("Authentication:Oidc:relative:ClientId", "portal"),
            ("Authentication:Oidc:noauthority:ClientId", "portal"),
            ("Authentication:Oidc:devhttp:Authority", "http://127.0.0.1:8080"),
            ("Authentication:Oidc:devhttp:ClientId", "portal"),
            ("Authentication:Oidc:devhttp:AllowHttpAuthority", "true"),
            ("Authentication:Oidc:noopenid:Authority", "https://sso.example.com/x"),
            ("Authentication:Oidc:noopenid:ClientId", "portal"),
            ("Authentication:Oidc:noopenid:Scopes", "profile email"),
            ("Authentication:Entra:notenant:Instance", "https://login.microsoftonline.com/"),
            ("Authentication:Entra:notenant:ClientId", "portal"),
            ("Authentication:Entra:nothing:ClientId", "portal")));

        var reasons = production.Problems.ToDictionary(p => p.Section, p => p.Reason);
        Assert.Empty(production.Valid);
        Assert.Contains("plain http", reasons["Authentication:Oidc:plain"]);
        Assert.Contains("ClientId is missing", reasons["Authentication:Oidc:noclient"]);
        Assert.Contains("absolute https URL", reasons["Authentication:Oidc:relative"]);
        Assert.Contains("Authority is missing", reasons["Authentication:Oidc:noauthority"]);
        Assert.Contains("outside Development (environment: Production)", reasons["Authentication:Oidc:devhttp"]);
        Assert.Contains("openid", reasons["Authentication:Oidc:noopenid"]);
        Assert.Contains("TenantId is missing", reasons["Authentication:Entra:notenant"]);
        Assert.Contains("Instance and TenantId", reasons["Authentication:Entra:nothing"]);
        Assert.DoesNotContain(production.Problems, p => p.ToString().Contains("s3cret"));

        var development = new ConfiguredProviders(new HostingEnvironment { EnvironmentName = Environments.Development });
        Validate(Configuration(
            ("Authentication:Oidc:devhttp:Authority", "http://127.0.0.1:8080"),
            ("Authentication:Oidc:devhttp:ClientId", "portal"),
            ("Authentication:Oidc:devhttp:AllowHttpAuthority", "true"),
            ("Authentication:Oidc:plain:Authority", "http://127.0.0.1:8081"),
            ("Authentication:Oidc:plain:ClientId", "portal")), development);
        Assert.True(Assert.Single(development.Valid).AllowHttpAuthority);
        Assert.Contains("AllowHttpAuthority=true", Assert.Single(development.Problems).Reason);
    }
}
