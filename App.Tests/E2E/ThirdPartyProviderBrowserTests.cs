using System.Diagnostics;
using AdminPortal.App.Features.IdentityProviders;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Sign-in through providers configured from appsettings alone, against a real third-party OpenID provider
/// (oidc-provider), in Debian's Chromium.
/// </summary>
public class ThirdPartyProviderBrowserTests(ThirdPartyProviderPortal portal, ITestOutputHelper output) : IClassFixture<ThirdPartyProviderPortal>
{
    [Theory]
    [InlineData(ThirdPartyProviderPortal.GenericButton, ThirdPartyProviderPortal.GenericScheme)]
    [InlineData(ThirdPartyProviderPortal.EntraButton, ThirdPartyProviderPortal.EntraScheme)]
    public async Task SignIn_ConfiguredProvider_LandsAsTheSeededUserLinkedByVerifiedEmail(string button, string scheme)
    {
        var page = await portal.NewPageAsync();
        var watch = Stopwatch.StartNew();

        await portal.SignInThroughProviderAsync(page, button, "partner-support-1");

        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        output.WriteLine($"{scheme}: sign-in round trip (button click to interactive dashboard, login form filled in between) {watch.ElapsedMilliseconds} ms; provider start {portal.ProviderStartTime.TotalMilliseconds:F0} ms");
        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync(portal.Legacy.DisplayName);
        string authority = portal.Services.GetRequiredService<App.Auth.SignInProviders>().Find(scheme)!.CiamAuthority.TrimEnd('/');
        Assert.Equal(1, await portal.QueryAsync(db => db.UserCiamMappings.CountAsync(m =>
            m.UserId == portal.Legacy.Id && m.ExternalSubject == "partner-support-1" && m.CiamSystem!.Authority == authority)));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_NonMicrosoftIssuerCarryingALegacyUsersEntraIds_GetsNoAccount()
    {
        var page = await portal.NewPageAsync();

        // Through the Identity.Web scheme, whose tokens come from oidc-provider: their oid/tid prove nothing.
        await portal.SignInThroughProviderAsync(page, ThirdPartyProviderPortal.EntraButton, "partner-mallory");

        await Expect(page.GetByTestId("no-access-reason")).ToContainTextAsync("no account for you");
        Assert.False(await portal.QueryAsync(db => db.UserCiamMappings.AnyAsync(m => m.ExternalSubject == "partner-mallory")));
        await page.GotoAsync(portal.BaseUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(ThirdPartyProviderPortal.GenericButton, ThirdPartyProviderPortal.GenericScheme)]
    [InlineData(ThirdPartyProviderPortal.EntraButton, ThirdPartyProviderPortal.EntraScheme)]
    public async Task SignOut_ProviderWithEndSession_EndsTheProviderSessionToo_NextSignInAsksAgain(string button, string scheme)
    {
        var page = await portal.NewPageAsync();
        await portal.SignInThroughProviderAsync(page, button, "partner-support-1");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        long sessionId = await portal.QueryAsync(db => db.PortalSessions.Where(s => s.UserId == portal.Legacy.Id && s.Provider == scheme && s.EndedAt == null)
            .OrderByDescending(s => s.Id).Select(s => s.Id).FirstAsync());
        var endSession = new List<string>();
        page.Request += (_, r) => { if (r.Url.StartsWith(portal.Provider.Issuer + "/session/end", StringComparison.Ordinal)) lock (endSession) endSession.Add(r.Url); };
        var watch = Stopwatch.StartNew();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        // oidc-provider's own confirmation form (its default logoutSource): the provider session ends on "Yes".
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, sign me out" }).ClickAsync();
        await Expect(page.GetByTestId("sign-in-message")).ToHaveTextAsync("You have signed out.");
        output.WriteLine($"{scheme}: sign-out round trip (portal → provider confirmation → portal) {watch.ElapsedMilliseconds} ms");
        Assert.StartsWith(portal.BaseUrl + "/signin?reason=SignedOut", page.Url);
        string request;
        lock (endSession) request = endSession.First();
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(request).Query);
        Assert.Equal($"{portal.BaseUrl}/signout-callback-{scheme}", query["post_logout_redirect_uri"].ToString());
        Assert.Equal(3, query["id_token_hint"].ToString().Split('.').Length);
        Assert.False(await portal.QueryAsync(db => db.PortalSessions.Where(s => s.Id == sessionId).Select(s => s.EndedAt == null).SingleAsync()));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name.StartsWith("adminportal.session", StringComparison.Ordinal));

        // The provider's session is gone: the next sign-in shows its login form again instead of signing in silently.
        await portal.SignInThroughProviderAsync(page, button, "partner-support-1");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public void ProviderSchemes_SaveNoTokens_TheIdTokenIsKeptAlone()
    {
        var monitor = portal.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>();
        Assert.False(monitor.Get(ThirdPartyProviderPortal.GenericScheme).SaveTokens);
        Assert.False(monitor.Get(ThirdPartyProviderPortal.EntraScheme).SaveTokens);
    }

    [Theory]
    [InlineData(ThirdPartyProviderPortal.GenericButton)]
    [InlineData(ThirdPartyProviderPortal.EntraButton)]
    public async Task SignIn_CancelledAtTheProvider_SaysSoOnTheSignInPage(string button)
    {
        var page = await portal.NewPageAsync();
        await page.GotoAsync(portal.BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = button }).ClickAsync();
        await page.Locator("input[name=login]").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });

        // oidc-provider's abort link answers the portal's callback with error=access_denied.
        await page.GetByRole(AriaRole.Link, new() { Name = "[ Cancel ]" }).ClickAsync();

        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("You cancelled the sign-in", new() { Timeout = 15_000 });
        Assert.EndsWith("/signin?reason=Cancelled", page.Url);
        await page.GotoAsync(portal.BaseUrl + "/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public void ConfiguredEntraScheme_HasItsOwnCallbackPathsAndTheEmailScope()
    {
        var options = portal.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(ThirdPartyProviderPortal.EntraScheme);
        var identityWeb = portal.Services.GetRequiredService<IOptionsMonitor<Microsoft.Identity.Web.MicrosoftIdentityOptions>>().Get(ThirdPartyProviderPortal.EntraScheme);

        Assert.Equal("/signin-entra-contoso", options.CallbackPath);
        Assert.Equal("/signout-callback-entra-contoso", options.SignedOutCallbackPath);
        // Identity.Web's own copy, from which it builds its correlation cookie's path.
        Assert.Equal("/signin-entra-contoso", identityWeb.CallbackPath);
        Assert.Equal("/signout-callback-entra-contoso", identityWeb.SignedOutCallbackPath);
        Assert.Equal(["email", "openid", "profile"], options.Scope.Order().ToArray());
        Assert.Equal("code", options.ResponseType);
    }
}
