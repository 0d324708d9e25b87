using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>Real OIDC code flows in Debian's Chromium, through the embedded development provider.</summary>
public class SignInBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query) => server.QueryAsync(query);

    [Theory]
    [InlineData("Development sign-in (OpenID Connect)")]
    [InlineData("Development sign-in (Microsoft.Identity.Web)")]
    public async Task SignIn_CustomerAdmin_LandsOnTheirTenantsDashboardAndSignsOut(string provider)
    {
        var admin = await QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.CustomerAdmin && u.Customer!.Slug == "fabrikam")
            .Select(u => new { u.Id, u.DisplayName, u.LoginCount, u.CustomerId }).SingleAsync());
        int fabrikamUsers = await QueryAsync(db => db.Users.CountAsync(u => u.CustomerId == admin.CustomerId));

        var page = await server.SignInAsync("Customer admin · Fabrikam", provider);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("tenant")).ToHaveTextAsync("Fabrikam Publishing");
        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync(admin.DisplayName);
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync(fabrikamUsers.ToString());
        // One sign-in counts once, however many requests the circuit makes.
        await page.ReloadAsync();
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync(fabrikamUsers.ToString());
        Assert.Equal(admin.LoginCount + 1, await QueryAsync(db => db.Users.Where(u => u.Id == admin.Id).Select(u => u.LoginCount).SingleAsync()));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("You have signed out");
        // The development provider has no end-session endpoint: the portal says its own session may still be open.
        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync($"{provider} does not offer sign-out; you may still be signed in there.");
        await page.GotoAsync(server.BaseUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task SignIn_UnknownPerson_GetsNoAccessAndNoSession()
    {
        var page = await server.Browser.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();

        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Someone unknown" }).ClickAsync();

        await Expect(page.GetByTestId("no-access-reason")).ToContainTextAsync("no account for you");
        await page.GotoAsync(server.BaseUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task SignIn_LegacyUserFirstTime_LinksTheAccountByEmailAndAuditsIt()
    {
        var legacy = await QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.Support && u.OidcSubject == null)
            .Select(u => new { u.Id, u.DisplayName }).SingleAsync());

        var page = await server.SignInAsync("legacy account, not linked yet");

        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync(legacy.DisplayName);
        Assert.Equal(1, await QueryAsync(db => db.UserCiamMappings.CountAsync(m => m.UserId == legacy.Id && m.CiamSystem!.Authority == App.Auth.DevIdentityProvider.Authority)));
        Assert.Equal(1, await QueryAsync(db => db.AuditLog.CountAsync(a => a.Action == "link_identity_by_email" && a.CustomerId != null)));
        await page.CloseAsync();
    }

    [Fact]
    public async Task RevokeTokens_WhileSignedIn_EndsTheOpenCircuit()
    {
        var support = await QueryAsync(db => db.Users.Where(u => u.PortalRole == PortalRole.Support && u.Customer!.Slug == "contoso" && u.OidcSubject != null)
            .Select(u => u.Id).SingleAsync());
        var page = await server.SignInAsync("Support · Contoso");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();

        await QueryAsync(async db =>
        {
            var user = await db.Users.SingleAsync(u => u.Id == support);
            user.TokensRevokedAt = DateTime.UtcNow.AddSeconds(1);
            await db.SaveChangesAsync();
            return 0;
        });

        // No click, no reload: the circuit's revalidation notices and sends the browser to sign-in.
        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("Your session has ended", new() { Timeout = 20_000 });
        await page.GotoAsync(server.BaseUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task TenantSwitcher_PlatformAdminPicksACustomer_DashboardFollowsAndTheSwitchIsAudited()
    {
        int contosoUsers = await QueryAsync(db => db.Users.CountAsync(u => u.Customer!.Slug == "contoso"));
        var page = await server.SignInAsync("Platform admin");
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("2");

        await page.GetByLabel("Customer").First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Contoso Media" }).ClickAsync();

        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("1");
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync(contosoUsers.ToString());
        Assert.True(await QueryAsync(db => db.AuditLog.AnyAsync(a => a.Action == "switch_tenant" && a.CustomerId != null)));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("tenant-switcher.png") });
        await page.CloseAsync();
    }

    [Fact]
    public async Task SignInPage_ListsEveryEnabledProvider()
    {
        var page = await server.Browser.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/signin");

        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (Microsoft.Identity.Web)" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("sign-in.png") });
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Development sign-in" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("dev-idp-login.png"), FullPage = true });
        await page.CloseAsync();
    }
}
