using AdminPortal.App.Auth;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.IdentityProviders;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Home-realm discovery end to end, in Chromium: a customer admin adds an email domain, a platform admin verifies it,
/// and an email at that domain on the sign-in page reaches the customer's own provider (a real oidc-provider) directly.
/// </summary>
public class HomeRealmBrowserTests(HomeRealmPortal portal, ITestOutputHelper output) : IClassFixture<HomeRealmPortal>
{
    private const string Domain = "contoso-hrd.example";

    [Fact]
    public async Task EmailFirst_VerifiedDomain_GoesStraightToTheCustomersProvider_WithOneAuthorizationRequest()
    {
        // A customer admin adds the domain on the Email domains page.
        var admin = await portal.SignInAsync("Customer admin · Contoso");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Email domains", Exact = true }).ClickAsync();
        await Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Email domains · Contoso Media" })).ToBeVisibleAsync();
        await Expect(admin.GetByTestId("domains-empty")).ToBeVisibleAsync();
        var field = admin.GetByLabel("Domain", new() { Exact = true });
        await field.FillAsync("https://" + Domain);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add domain" }).ClickAsync();
        await Expect(admin.GetByText("Enter the domain alone, without http:// or https://.")).ToBeVisibleAsync();
        await field.FillAsync("  Contoso-HRD.Example. ");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add domain" }).ClickAsync();
        var row = admin.Locator($"tr[data-domain='{Domain}']");
        await Expect(row).ToContainTextAsync("Pending verification");
        // Only a platform admin verifies.
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Verify {Domain}" })).ToHaveCountAsync(0);
        // Another customer's page, and a malformed id: not found, never the data.
        await admin.GotoAsync($"{portal.BaseUrl}/customers/{portal.FabrikamId}/domains");
        await Expect(admin.GetByTestId("domains-not-found")).ToBeVisibleAsync();
        await admin.GotoAsync($"{portal.BaseUrl}/customers/1e9/domains");
        await Expect(admin.GetByTestId("domains-not-found")).ToBeVisibleAsync();
        await admin.Context.CloseAsync();

        // Not yet verified: the domain does not route.
        var early = await portal.NewPageAsync();
        await early.GotoAsync(portal.BaseUrl + "/signin");
        await early.GetByLabel("Work email").FillAsync("someone@" + Domain);
        await early.GetByLabel("Work email").PressAsync("Enter");
        await Expect(early.GetByTestId("home-realm-message")).ToHaveTextAsync("We didn't find your organisation. Choose how to sign in below.");
        await early.Context.CloseAsync();

        // The platform admin verifies it, after a confirmation.
        var platform = await portal.SignInAsync("Platform admin");
        await platform.GetByRole(AriaRole.Link, new() { Name = "Customers", Exact = true }).ClickAsync();
        await platform.Locator("tr[data-customer=contoso]").GetByRole(AriaRole.Link, new() { Name = "Domains" }).ClickAsync();
        await platform.GetByRole(AriaRole.Button, new() { Name = $"Verify {Domain}" }).ClickAsync();
        await Expect(platform.GetByRole(AriaRole.Dialog)).ToContainTextAsync("owns " + Domain);
        await platform.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await Expect(platform.Locator($"tr[data-domain='{Domain}']")).ToContainTextAsync("Verified");
        await platform.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("customer-domains.png") });
        await platform.Context.CloseAsync();
        Assert.Equal([CustomerDomainAuditActions.Added, CustomerDomainAuditActions.Verified],
            await portal.QueryAsync(db => db.AuditLog.Where(a => a.EntityType == nameof(CustomerDomain)).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync()));

        // Email first: straight to Contoso's provider, once.
        var page = await portal.NewPageAsync();
        var authorizations = new List<string>();
        var challenges = new List<string>();
        page.Request += (_, r) =>
        {
            lock (authorizations)
            {
                if (r.Url.StartsWith(portal.Provider.Issuer + "/auth", StringComparison.Ordinal)) authorizations.Add(r.Url);
                if (r.Url.Contains("/signin/challenge/", StringComparison.Ordinal)) challenges.Add(r.Url);
            }
        };
        await page.GotoAsync(portal.BaseUrl + "/signin?returnUrl=%2Fusers");
        await page.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("sign-in-email-first.png") });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await page.GetByLabel("Work email").FillAsync("Someone@Contoso-HRD.example");
        await page.GetByLabel("Work email").PressAsync("Enter");
        await page.Locator("input[name=login]").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        output.WriteLine($"email submitted → provider's login form: {watch.ElapsedMilliseconds} ms");
        Assert.StartsWith(portal.Provider.Issuer, page.Url);
        string authorization;
        lock (authorizations)
        {
            Assert.Single(challenges);
            authorization = Assert.Single(authorizations);
        }

        var query = QueryHelpers.ParseQuery(new Uri(authorization).Query);
        Assert.Equal(HomeRealmPortal.ClientId, query["client_id"].ToString());
        // The handler pushes the authorization request (PAR, which oidc-provider offers): login_hint travels in the pushed
        // request, and the provider's login form shows it.
        await Expect(page.Locator("input[name=login]")).ToHaveValueAsync("Someone@Contoso-HRD.example");
        Assert.Contains("loginHint=Someone%40Contoso-HRD.example", challenges[0]);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task EmailFirst_UnknownDomainOrBadEmail_NeutralMessageAndEveryButton()
    {
        var page = await portal.NewPageAsync();
        var dialogs = 0;
        page.Dialog += async (_, d) => { dialogs++; await d.DismissAsync(); };
        await page.GotoAsync(portal.BaseUrl + "/signin");
        var buttons = page.GetByRole(AriaRole.Navigation, new() { Name = "Identity providers" }).GetByRole(AriaRole.Link);
        int all = portal.Services.GetRequiredService<SignInProviders>().All.Count;
        Assert.Equal(3, all); // the two development schemes and Contoso's runtime provider
        await Expect(buttons).ToHaveCountAsync(all);

        // Hostile input is refused next to the field and shown back as text.
        const string hostile = "\"><img src=x onerror=alert(1)>@x.example";
        await page.GetByLabel("Work email").FillAsync(hostile);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page.Locator("#signin-email-error")).ToHaveTextAsync("Enter your email address, like name@example.com.");
        await Expect(page.GetByLabel("Work email")).ToHaveValueAsync(hostile);
        await Expect(page.Locator("img[src=x]")).ToHaveCountAsync(0);

        await page.GetByLabel("Work email").FillAsync("someone@unknown-organisation.example");
        await page.GetByLabel("Work email").PressAsync("Enter");
        await Expect(page.GetByTestId("home-realm-message")).ToHaveTextAsync("We didn't find your organisation. Choose how to sign in below.");
        await Expect(buttons).ToHaveCountAsync(all);
        await Expect(page.GetByLabel("Work email")).ToHaveValueAsync("someone@unknown-organisation.example");
        // The buttons still go to the challenge without a hint: nothing was found to hint at.
        Assert.DoesNotContain("loginHint", await buttons.First.GetAttributeAsync("href"));
        Assert.Equal(0, dialogs);
        await page.Context.CloseAsync();
    }
}
