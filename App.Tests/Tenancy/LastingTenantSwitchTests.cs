using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Tenancy;

/// <summary>
/// The lasting tenant switch's server side: the address's and the cookie's values are parsed as hostile input, and a
/// restored switch is checked against the claims and the database like a new one, without a second audit entry.
/// </summary>
public class LastingTenantSwitchTests
{
    [Theory]
    [InlineData("123", 123L, null)]
    [InlineData("123.456", 123L, 456L)]
    [InlineData("9223372036854775807.9223372036854775807", long.MaxValue, long.MaxValue)]
    public void TryParse_ValidValues_GiveTheIds(string value, long customer, long? site)
    {
        Assert.True(TenantSwitchRequest.TryParse(value, out var request));
        Assert.Equal(new TenantSwitchRequest(customer, site), request);
        Assert.Equal(value, request.QueryValue);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1e3")]
    [InlineData("1.2.3")]
    [InlineData("1.")]
    [InlineData(".1")]
    [InlineData("1,2")]
    [InlineData("9223372036854775808")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("1' OR '1'='1")]
    [InlineData("１２３")]
    public void TryParse_HostileValues_AreRefused(string value)
    {
        Assert.False(TenantSwitchRequest.TryParse(value, out _));
    }

    [Fact]
    public void TryParse_OversizedValue_IsRefusedBeforeParsing()
    {
        Assert.False(TenantSwitchRequest.TryParse(new string('1', 10_000), out _));
        Assert.False(TenantSwitchRequest.TryParse("1." + new string('0', 100) + "1", out _));
    }

    [Fact]
    public void FromCookie_AnotherUsersOrMalformedCookie_IsIgnored()
    {
        string cookie = new TenantSwitchRequest(5, 7).CookieValue(42);

        Assert.Equal(new TenantSwitchRequest(5, 7), TenantSwitchRequest.FromCookie(cookie, 42));
        Assert.Null(TenantSwitchRequest.FromCookie(cookie, 43));
        Assert.Null(TenantSwitchRequest.FromCookie(cookie, null));
        Assert.Null(TenantSwitchRequest.FromCookie("42_x", 42));
        Assert.Null(TenantSwitchRequest.FromCookie("42", 42));
        Assert.Null(TenantSwitchRequest.FromCookie("42_" + new string('1', 500), 42));
    }

    [Theory, BothProviders]
    public async Task RestoreAsync_PlatformAdmin_NarrowsWithoutASecondAuditEntry(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, contosoSite, fabrikamSite) = await IdsAsync(database);
        await using var scope = database.Scope(PlatformAdmin);
        var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>();
        var switcher = new TenantSwitchService(tenant, scope.ServiceProvider.GetRequiredService<IServiceScopeFactory>());

        await switcher.RestoreAsync(contoso, contosoSite);

        Assert.Equal((contoso, (long?)contosoSite, false), (tenant.Current.CustomerId!.Value, tenant.Current.SiteId, tenant.Current.AllCustomers));
        Assert.Equal("Contoso Media · " + await SiteNameAsync(database, contosoSite), tenant.Current.Label);
        Assert.Equal(0, await SwitchEntriesAsync(database));

        // The same checks as a new switch: another customer's site, an unknown customer.
        await Assert.ThrowsAsync<KeyNotFoundException>(() => switcher.RestoreAsync(contoso, fabrikamSite));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => switcher.RestoreAsync(long.MaxValue, null));
        Assert.Equal(contosoSite, tenant.Current.SiteId);

        await switcher.SwitchAsync(null, null);
        Assert.True(tenant.Current.AllCustomers);
        Assert.Equal(1, await SwitchEntriesAsync(database));
    }

    [Theory, BothProviders]
    public async Task RestoreAsync_CustomerAdmin_IsRefusedAndKeepsTheirScope(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateMigratedAsync(provider, seed: true);
        var (contoso, _, _) = await IdsAsync(database);
        long fabrikam;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            fabrikam = await context.Db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
        }

        await using var scope = database.Scope(TenantScope.ForCustomer(fabrikam, "fabrikam admin"));
        var tenant = scope.ServiceProvider.GetRequiredService<TenantContext>();
        var switcher = new TenantSwitchService(tenant, scope.ServiceProvider.GetRequiredService<IServiceScopeFactory>());

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => switcher.RestoreAsync(contoso, null));

        Assert.Equal(fabrikam, tenant.Current.CustomerId);
        Assert.Equal(0, await SwitchEntriesAsync(database));
    }

    private static readonly TenantScope PlatformAdmin = new("platform admin", 1, PortalRoles.PlatformAdmin, null, null, true);

    private static async Task<(long Contoso, long ContosoSite, long FabrikamSite)> IdsAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        long contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        long contosoSite = await context.Db.Sites.Where(s => s.CustomerId == contoso).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
        long fabrikamSite = await context.Db.Sites.Where(s => s.CustomerId != contoso).Select(s => s.Id).FirstAsync();
        return (contoso, contosoSite, fabrikamSite);
    }

    private static async Task<string> SiteNameAsync(TestDatabase database, long siteId)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.Sites.Where(s => s.Id == siteId).Select(s => s.Name).SingleAsync();
    }

    private static async Task<int> SwitchEntriesAsync(TestDatabase database)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await context.Db.AuditLog.CountAsync(a => a.Action == "switch_tenant");
    }
}
