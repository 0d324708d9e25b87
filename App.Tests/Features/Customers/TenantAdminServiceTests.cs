using AdminPortal.App.Auth;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AdminPortal.Tests.Features.Customers;

public class TenantAdminServiceTests
{
    private static TenantAdminService Service(AsyncServiceScope scope) => new(scope.ServiceProvider.GetRequiredService<IDbContextFactory<PortalDbContext>>());

    [Theory, BothProviders]
    public async Task Customers_ValidationUniquenessDeleteGuardAndDeactivation_AsTheRulesSay(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        await using var scope = database.Scope(TenantScope.System("platform admin"));
        var admin = Service(scope);

        Assert.True((await admin.SaveCustomerAsync(null, "Northwind", "Bad Slug!", 0)).Errors.ContainsKey("Slug"));
        Assert.Contains("already has this slug", (await admin.SaveCustomerAsync(null, "Copy", "contoso", 0)).Errors["Slug"]);
        Assert.True((await admin.SaveCustomerAsync(null, "Northwind", "northwind", 0)).Succeeded);

        var customers = await admin.ListCustomersAsync();
        var contoso = customers.Single(c => c.Slug == "contoso");
        var northwind = customers.Single(c => c.Slug == "northwind");
        Assert.Equal((2, 0), (contoso.Sites, northwind.Sites));

        Assert.Contains("still has 2 site(s)", (await admin.DeleteCustomerAsync(long.Parse(contoso.Id))).Errors["Action"]);
        Assert.True((await admin.DeleteCustomerAsync(long.Parse(northwind.Id))).Succeeded);

        // Deactivating keeps every row, and its users can no longer sign in. (Fabrikam: Contoso holds the only
        // platform admin, whom deactivation must never strand.)
        var fabrikam = customers.Single(c => c.Slug == "fabrikam");
        var impact = await admin.CustomerImpactAsync(long.Parse(fabrikam.Id));
        Assert.True((await admin.SetCustomerActiveAsync(long.Parse(fabrikam.Id), false)).Succeeded);
        Assert.Equal(impact, await admin.CustomerImpactAsync(long.Parse(fabrikam.Id)));
        string subject;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            subject = await context.Db.UserCiamMappings.Where(m => m.CiamSystem!.Authority == DevIdentityProvider.Authority && m.User!.CustomerId == long.Parse(fabrikam.Id)).Select(m => m.ExternalSubject).FirstAsync();
        }

        var providers = new SignInProviders();
        providers.Add(new SignInProvider(DevIdentityProvider.OidcScheme, "dev", SignInHandler.OpenIdConnect, DevIdentityProvider.Authority));
        var scopes = database.Services.GetRequiredService<IServiceScopeFactory>();
        var signIn = new SignInService(scopes, providers, new UserAccessService(scopes), TimeProvider.System, NullLogger<SignInService>.Instance);
        Assert.Equal(SignInDenial.CustomerInactive, (await signIn.SignInAsync(new ExternalIdentity(DevIdentityProvider.OidcScheme, null, subject, null, null, null, null))).Denial);
    }

    [Theory, BothProviders]
    public async Task Sites_DomainRulesNoMovingAndCustomerAdminsOwnCustomerOnly(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        long contoso, fabrikam;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
            fabrikam = await context.Db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(contoso, "admin@contoso.example", PortalRoles.CustomerAdmin));
        var admin = Service(scope);

        Assert.True((await admin.SaveSiteAsync(null, contoso, "Shop", "not a host", 0)).Errors.ContainsKey("Domain"));
        Assert.Contains("already uses this domain", (await admin.SaveSiteAsync(null, contoso, "Copy", "JOURNAL.fabrikam.example", 0)).Errors["Domain"]);
        Assert.True((await admin.SaveSiteAsync(null, fabrikam, "Planted", "planted.fabrikam.example", 0)).Errors.ContainsKey("Customer"));
        Assert.True((await admin.SaveSiteAsync(null, contoso, "Shop", "shop.contoso.example", 0)).Succeeded);

        var sites = await admin.ListSitesAsync();
        Assert.All(sites, s => Assert.Equal("Contoso Media", s.Customer));
        var shop = sites.Single(s => s.Domain == "shop.contoso.example");
        var news = sites.Single(s => s.Domain == "news.contoso.example");
        Assert.Contains("cannot move", (await admin.SaveSiteAsync(long.Parse(shop.Id), fabrikam, "Shop", shop.Domain, shop.Version)).Errors["Customer"]);
        Assert.Contains("still has", (await admin.DeleteSiteAsync(long.Parse(news.Id))).Errors["Action"]);
        Assert.True((await admin.DeleteSiteAsync(long.Parse(shop.Id))).Succeeded);

        await using var check = await database.ContextAsync(TenantScope.System());
        Assert.False(await check.Db.Sites.AnyAsync(s => s.Domain == "planted.fabrikam.example" || s.Domain == "shop.contoso.example"));
        Assert.True(await check.Db.AuditLog.AnyAsync(a => a.EntityType == "Site" && a.Action == "deleted"));
    }
}
