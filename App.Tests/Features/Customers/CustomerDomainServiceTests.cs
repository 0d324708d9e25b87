using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Features.Customers;

public class CustomerDomainServiceTests
{
    private static readonly TenantScope PlatformAdmin = new("platform-admin", null, PortalRoles.PlatformAdmin, null, null, true);

    private static async Task<T> AsAsync<T>(TestDatabase database, TenantScope scope, Func<CustomerDomainService, Task<T>> action)
    {
        await using var services = database.Scope(scope);
        var service = new CustomerDomainService(services.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>(), TimeProvider.System);
        return await action(service);
    }

    private static async Task<(long Contoso, long Fabrikam)> CustomersAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        var ids = await context.Db.Customers.ToDictionaryAsync(c => c.Slug, c => c.Id);
        return (ids["contoso"], ids["fabrikam"]);
    }

    [Theory]
    [InlineData("https://contoso.com", "without http")]
    [InlineData("contoso.com/login", "without a path")]
    [InlineData("contoso.com:443", "without a port")]
    [InlineData("*.contoso.com", "Wildcards")]
    [InlineData("10.1.2.3", "IP address")]
    [InlineData("[::1]", "IP address")]
    [InlineData("1.2.3.4.5", "IP address")]
    [InlineData("com", "top-level domain")]
    [InlineData("co.uk", "public suffix")]
    [InlineData("github.io", "public suffix")]
    [InlineData("GMAIL.com", "public email service")]
    [InlineData("<img>onerror=alert(1).com", "not a valid domain")]
    [InlineData("<script>alert(1)</script>.com", "without a path")]
    [InlineData("-bad-.example", "not a valid domain")]
    [InlineData("con toso.com", "no spaces")]
    [InlineData("admin@contoso.com", "before the @")]
    [InlineData("", "Enter a domain")]
    public void TryNormalize_InvalidInput_RefusedWithAMessageForTheField(string input, string message)
    {
        Assert.False(DomainNames.TryNormalize(input, out _, out string? error));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData(" Contoso.EXAMPLE. ", "contoso.example")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("sub.contoso.co.uk", "sub.contoso.co.uk")]
    [InlineData("contoso.co.uk", "contoso.co.uk")]
    public void TryNormalize_ValidInput_LowerCasePunycodeNoTrailingDot(string input, string expected)
    {
        Assert.True(DomainNames.TryNormalize(input, out string domain, out string? error), error);
        Assert.Equal(expected, domain);
    }

    [Theory, BothProviders]
    public async Task Domains_AddNormaliseDuplicateVerifyRemove_AsTheRulesSayAndAudited(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomersAsync(database);
        var contosoAdmin = TenantScope.ForCustomer(contoso, "contoso-admin", PortalRoles.CustomerAdmin);
        var fabrikamAdmin = TenantScope.ForCustomer(fabrikam, "fabrikam-admin", PortalRoles.CustomerAdmin);

        Assert.Empty((await AsAsync(database, contosoAdmin, s => s.GetAsync(contoso)))!.Domains);
        Assert.True((await AsAsync(database, contosoAdmin, s => s.AddAsync(contoso, " Contoso.EXAMPLE. "))).Succeeded);
        Assert.True((await AsAsync(database, contosoAdmin, s => s.AddAsync(contoso, "bücher.example"))).Succeeded);
        Assert.Contains("http", (await AsAsync(database, contosoAdmin, s => s.AddAsync(contoso, "https://evil.example/x"))).Errors["Domain"]);
        Assert.Contains("at most 253", (await AsAsync(database, contosoAdmin, s => s.AddAsync(contoso, new string('a', 250) + ".example"))).Errors["Domain"]);
        Assert.Contains("already on this customer's list", (await AsAsync(database, contosoAdmin, s => s.AddAsync(contoso, "CONTOSO.example"))).Errors["Domain"]);

        // Another customer cannot take it, pending or not, and is told no more than that it is claimed.
        var clash = await AsAsync(database, fabrikamAdmin, s => s.AddAsync(fabrikam, "contoso.example"));
        Assert.Contains("already claimed by another organisation", clash.Errors["Domain"]);
        Assert.DoesNotContain("Contoso", clash.Errors["Domain"]);

        var view = (await AsAsync(database, contosoAdmin, s => s.GetAsync(contoso)))!;
        Assert.Equal(["contoso.example", "xn--bcher-kva.example"], view.Domains.Select(d => d.Domain));
        Assert.All(view.Domains, d => Assert.False(d.Verified));
        Assert.False(view.CanVerify);
        var row = view.Domains[0];
        long rowId = long.Parse(row.Id);

        // The customer cannot verify its own claim; a platform admin can.
        Assert.Contains("Only a platform admin", (await AsAsync(database, contosoAdmin, s => s.VerifyAsync(rowId, row.Version))).Errors["Action"]);
        Assert.True((await AsAsync(database, PlatformAdmin, s => s.GetAsync(contoso)))!.CanVerify);
        Assert.NotNull((await AsAsync(database, PlatformAdmin, s => s.VerifyAsync(rowId, row.Version + 5))).Conflict);
        Assert.True((await AsAsync(database, PlatformAdmin, s => s.VerifyAsync(rowId, row.Version))).Succeeded);
        Assert.True((await AsAsync(database, contosoAdmin, s => s.GetAsync(contoso)))!.Domains.Single(d => d.Domain == "contoso.example").Verified);

        var other = view.Domains[1];
        Assert.True((await AsAsync(database, contosoAdmin, s => s.RemoveAsync(long.Parse(other.Id)))).Succeeded);
        Assert.True((await AsAsync(database, contosoAdmin, s => s.RemoveAsync(long.Parse(other.Id)))).NotFound);
        // Platform admins manage any customer's domains.
        Assert.True((await AsAsync(database, PlatformAdmin, s => s.AddAsync(fabrikam, "fabrikam.example"))).Succeeded);
        // A customer with domains is not deleted silently.
        await using (var admin = database.Scope(PlatformAdmin))
        {
            // A customer with only domains left is not deleted from under them.
            var customers = new TenantAdminService(admin.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());
            Assert.True((await customers.SaveCustomerAsync(null, "Northwind", "northwind", 0)).Succeeded);
            long northwind = long.Parse((await customers.ListCustomersAsync()).Single(c => c.Slug == "northwind").Id);
            Assert.True((await AsAsync(database, PlatformAdmin, s => s.AddAsync(northwind, "northwind.example"))).Succeeded);
            Assert.Contains("still has email domains", (await customers.DeleteCustomerAsync(northwind)).Errors["Action"]);
        }

        await using var context = await database.ContextAsync(TenantScope.System());
        Assert.Equal(["contoso.example"], await context.Db.CustomerDomains.Where(d => d.CustomerId == contoso).Select(d => d.Domain).ToListAsync());
        var audit = await context.Db.AuditLog.Where(a => a.EntityType == nameof(CustomerDomain)).OrderBy(a => a.Id).ToListAsync();
        Assert.Equal([CustomerDomainAuditActions.Added, CustomerDomainAuditActions.Added, CustomerDomainAuditActions.Verified, CustomerDomainAuditActions.Removed, CustomerDomainAuditActions.Added, CustomerDomainAuditActions.Added],
            audit.Select(a => a.Action));
        Assert.Equal([contoso, contoso, contoso, contoso, fabrikam], audit.Take(5).Select(a => a.CustomerId!.Value));
        Assert.Equal(["contoso-admin", "contoso-admin", "platform-admin", "contoso-admin", "platform-admin"], audit.Take(5).Select(a => a.Actor));
        Assert.Contains("xn--bcher-kva.example", audit[3].Changes);
        Assert.Contains("verified_at", audit[2].Changes);
    }

    [Theory, BothProviders]
    public async Task HomeRealm_VerifiedDomain_PicksItsCustomersProviders_UnverifiedOrUnknownDoesNotRoute(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, fabrikam) = await CustomersAsync(database);
        CiamSystem contosoSso, fabrikamSso, otherContoso;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contosoSso = new CiamSystem { CustomerId = contoso, Name = "Contoso SSO", Authority = "https://sso.contoso.example", ClientId = "portal" };
            otherContoso = new CiamSystem { CustomerId = contoso, Name = "Contoso old SSO", Authority = "https://old.contoso.example", ClientId = "portal", IsEnabled = false };
            fabrikamSso = new CiamSystem { CustomerId = fabrikam, Name = "Fabrikam SSO", Authority = "https://sso.fabrikam.example", ClientId = "portal" };
            context.Db.CiamSystems.AddRange(contosoSso, otherContoso, fabrikamSso);
            await context.Db.SaveChangesAsync();
        }

        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "Development", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        SignInProvider Runtime(CiamSystem row) => new(ProviderSchemes.SchemeFor(row.Id), row.Name, SignInHandler.OpenIdConnect, row.Authority, row.Id);
        // The disabled one is still listed here, as a stale instance might: the row decides.
        providers.ReplaceRuntime([Runtime(contosoSso), Runtime(otherContoso), Runtime(fabrikamSso)]);
        var discovery = new HomeRealmDiscovery(database.Services.GetRequiredService<IServiceScopeFactory>(), providers);

        foreach (var (customer, domain) in new[] { (contoso, "contoso.example"), (fabrikam, "fabrikam.example") })
        {
            Assert.True((await AsAsync(database, PlatformAdmin, s => s.AddAsync(customer, domain))).Succeeded);
        }

        // Claimed but not verified: routes nowhere.
        Assert.Empty(await discovery.FindAsync("jo@contoso.example"));

        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var contosoDomain = await context.Db.CustomerDomains.SingleAsync(d => d.Domain == "contoso.example");
            Assert.True((await AsAsync(database, PlatformAdmin, s => s.VerifyAsync(contosoDomain.Id, contosoDomain.Version))).Succeeded);
        }

        Assert.Equal([contosoSso.Id], (await discovery.FindAsync(" Jo.Smith@CONTOSO.example ")).Select(p => p.CiamSystemId));
        Assert.Empty(await discovery.FindAsync("jo@fabrikam.example")); // still unverified
        Assert.Empty(await discovery.FindAsync("jo@sub.contoso.example")); // exact domains only
        Assert.Empty(await discovery.FindAsync("jo@unknown.example"));
        foreach (string hostile in new[] { "<script>alert(1)</script>@contoso.example", "contoso.example", "@contoso.example", "a@b@contoso.example", new string('a', 320) + "@contoso.example", "", "jo@contoso.example:443" })
        {
            Assert.Empty(await discovery.FindAsync(hostile));
        }

        // Verified, but the customer's own provider is disabled: the platform's providers.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var fabrikamDomain = await context.Db.CustomerDomains.SingleAsync(d => d.Domain == "fabrikam.example");
            Assert.True((await AsAsync(database, PlatformAdmin, s => s.VerifyAsync(fabrikamDomain.Id, fabrikamDomain.Version))).Succeeded);
        }

        Assert.Equal([fabrikamSso.Id], (await discovery.FindAsync("jo@fabrikam.example")).Select(p => p.CiamSystemId));
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var row = await context.Db.CiamSystems.SingleAsync(c => c.Id == fabrikamSso.Id);
            row.IsEnabled = false;
            await context.Db.SaveChangesAsync();
        }

        Assert.Equal([DevIdentityProvider.OidcScheme], (await discovery.FindAsync("jo@fabrikam.example")).Select(p => p.Scheme));

        // A deactivated customer routes nobody.
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            var customer = await context.Db.Customers.SingleAsync(c => c.Id == contoso);
            customer.IsActive = false;
            await context.Db.SaveChangesAsync();
        }

        Assert.Empty(await discovery.FindAsync("jo@contoso.example"));
    }
}
