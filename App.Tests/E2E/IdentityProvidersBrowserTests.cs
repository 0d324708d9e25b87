using AdminPortal.App.Auth;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

public class IdentityProvidersBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private static async Task ChooseAsync(IPage page, string label, string option)
    {
        // Within the page's content: the app bar's tenant switcher has a Customer field too.
        await page.Locator(".mud-main-content").GetByLabel(label, new() { Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
    }

    [Fact]
    public async Task PlatformAdmin_CreatesCustomerSiteAndProvider_TestsIt_AndAMappedUserSignsInThroughIt_WithoutARestart()
    {
        var page = await server.SignInAsync("Platform admin");

        // A customer and a site, as a platform admin does it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Customers", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "New customer" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Northwind Traders");
        await page.GetByLabel("Slug", new() { Exact = true }).FillAsync("northwind");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("[data-customer=northwind]")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Sites", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "New site" }).ClickAsync();
        await ChooseAsync(page, "Customer", "Northwind Traders");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Northwind Web");
        await page.GetByLabel("Domain", new() { Exact = true }).FillAsync("web.northwind.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("[data-site='web.northwind.example']")).ToBeVisibleAsync();

        // A generic OIDC provider pointing at the embedded IdP; a bad authority is refused next to its field first.
        await page.GetByRole(AriaRole.Link, new() { Name = "Identity providers", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New provider" }).ClickAsync();
        await ChooseAsync(page, "Owner", "Northwind Traders");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Northwind SSO");
        await page.GetByLabel("Authority (issuer)", new() { Exact = true }).FillAsync("http://sso.northwind.example");
        await page.GetByLabel("Client id", new() { Exact = true }).FillAsync(DevIdentityProvider.ClientId);
        await page.GetByRole(AriaRole.Switch).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("Use https. Plain http is accepted only for a loopback address")).ToBeVisibleAsync();
        await page.GetByLabel("Authority (issuer)", new() { Exact = true }).FillAsync(server.BaseUrl);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Northwind SSO", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("provider-status")).ToContainTextAsync("Offered at sign-in.");
        var provider = await server.QueryAsync(db => db.CiamSystems.SingleAsync(c => c.Name == "Northwind SSO"));
        Assert.NotNull(provider.CustomerId);
        await Expect(page.GetByLabel("Redirect URI", new() { Exact = true })).ToHaveValueAsync($"{server.BaseUrl}/signin-ciam-{provider.Id}");

        await page.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Expect(page.GetByTestId("test-summary")).ToHaveTextAsync("Every check passed.", new() { Timeout = 15_000 });
        await Expect(page.Locator("[data-check='Issuer'][data-outcome=Passed]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-check='Signing keys (JWKS)'][data-outcome=Passed]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("identity-provider.png"), FullPage = true });

        // A user of the new customer, linked to the new provider (as support would arrange it, or a first sign-in).
        var nora = await server.QueryAsync(async db =>
        {
            var site = await db.Sites.SingleAsync(s => s.Domain == "web.northwind.example");
            var user = new User
            {
                CustomerId = site.CustomerId, SiteId = site.Id, Email = "nora@northwind.example", DisplayName = "Nora Northwind",
                PasswordHash = "legacy-hash", PortalRole = PortalRole.CustomerAdmin,
            };
            db.Users.Add(user);
            await db.SaveChangesAsync();
            db.UserCiamMappings.Add(new UserCiamMapping { UserId = user.Id, CustomerId = user.CustomerId, CiamSystemId = provider.Id, ExternalSubject = $"dev-legacy-{user.Id}" });
            await db.SaveChangesAsync();
            return user;
        });

        // The detail counts the mapping and links to exactly those users.
        await page.ReloadAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.GetByTestId("mapped-users")).ToHaveTextAsync("1 user signs in with it");
        await page.GetByTestId("mapped-users").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/users\\?provider={provider.Id}$"));
        await Expect(page.Locator("tr[data-user-id]")).ToHaveCountAsync(1);
        await Expect(page.Locator("tr[data-user-id]")).ToContainTextAsync("Nora Northwind");
        await page.CloseAsync();

        // Nora signs in through the provider that did not exist when the portal started.
        var norasPage = await server.Browser.NewPageAsync();
        await norasPage.GotoAsync(server.BaseUrl + "/");
        await norasPage.GetByRole(AriaRole.Link, new() { Name = "Northwind SSO" }).ClickAsync();
        await norasPage.GetByRole(AriaRole.Button).Filter(new() { HasText = "Nora Northwind" }).First.ClickAsync();
        await norasPage.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await Expect(norasPage.GetByTestId("user-name")).ToHaveTextAsync("Nora Northwind");
        await Expect(norasPage.GetByTestId("tenant")).ToContainTextAsync("Northwind Traders");

        var (logins, mapped) = await server.QueryAsync(async db => (
            await db.Users.Where(u => u.Id == nora.Id).Select(u => u.LoginCount).SingleAsync(),
            await db.UserCiamMappings.Where(m => m.UserId == nora.Id && m.CiamSystemId == provider.Id).Select(m => m.LastLoginAt).SingleAsync()));
        Assert.Equal(1, logins);
        Assert.NotNull(mapped);
        await norasPage.CloseAsync();
    }

    [Fact]
    public async Task BrokenProviders_NeverBreakSignInWithTheOthers()
    {
        // Written past the portal's validation, as a script or an old version might have left them.
        await server.QueryAsync(async db =>
        {
            db.CiamSystems.AddRange(
                new CiamSystem { Name = "Broken plain http", Authority = "http://sso.broken.example", ClientId = "portal" },
                new CiamSystem { Name = "Broken secret", Authority = "https://sso.broken.example", ClientId = "portal", ClientSecretProtected = "garbage" },
                new CiamSystem { Name = "Nobody home", Authority = "http://127.0.0.1:9", ClientId = "portal" });
            return await db.SaveChangesAsync();
        });
        await server.Services.GetRequiredService<ProviderSchemes>().RefreshAsync();

        var page = await server.Browser.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/signin");
        var buttons = page.GetByRole(AriaRole.Navigation, new() { Name = "Identity providers" }).GetByRole(AriaRole.Link);
        await Expect(buttons.Filter(new() { HasText = "Nobody home" })).ToHaveCountAsync(1);
        await Expect(buttons.Filter(new() { HasText = "Broken" })).ToHaveCountAsync(0);

        // The provider that cannot be reached sends the user back to choose another, with a reason.
        await buttons.Filter(new() { HasText = "Nobody home" }).ClickAsync();
        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("cannot be reached", new() { Timeout = 30_000 });
        await page.CloseAsync();

        // Everyone else still signs in, and the admin sees what is wrong with each broken provider.
        var admin = await server.SignInAsync("Platform admin");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Identity providers", Exact = true }).ClickAsync();
        await Expect(admin.Locator("[data-provider='Broken secret']")).ToContainTextAsync("Problem");
        await admin.Locator("[data-provider='Broken secret']").GetByRole(AriaRole.Link, new() { Name = "Broken secret", Exact = true }).ClickAsync();
        await Expect(admin.GetByTestId("provider-status")).ToContainTextAsync("cannot be decrypted");
        await admin.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("identity-provider-problem.png"), FullPage = true });
        await admin.CloseAsync();
    }
    [Fact]
    public async Task CustomerAdmin_SeesOwnAndPlatformProviders_PlatformOnesReadOnly_AndTheirOwnGoesLiveAndAway()
    {
        var page = await server.SignInAsync("Customer admin · Fabrikam");
        await page.GetByRole(AriaRole.Link, new() { Name = "Identity providers", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-provider='Fabrikam Keycloak']")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-provider='Contoso Entra ID']")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("identity-providers.png") });

        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in", Exact = true }).ClickAsync();
        await Expect(page.GetByText("A platform-wide provider: only a platform admin can change it.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete provider" })).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Name", new() { Exact = true })).ToBeDisabledAsync();

        // Their own provider: enabled, it is a sign-in option at once; disabled, it is gone at once.
        var signInPage = await server.Browser.NewPageAsync();
        var fabrikamButton = signInPage.GetByRole(AriaRole.Link, new() { Name = "Fabrikam Keycloak" });
        await page.GetByRole(AriaRole.Link, new() { Name = "Identity providers", Exact = true }).First.ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Fabrikam Keycloak", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Switch).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByTestId("provider-status")).ToContainTextAsync("Offered at sign-in.");
        await signInPage.GotoAsync(server.BaseUrl + "/signin");
        await Expect(fabrikamButton).ToHaveCountAsync(1);

        await page.GetByRole(AriaRole.Switch).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByTestId("provider-status")).ToContainTextAsync("Disabled");
        await signInPage.ReloadAsync();
        await Expect(fabrikamButton).ToHaveCountAsync(0);
        await signInPage.CloseAsync();
        await page.CloseAsync();
    }
}
