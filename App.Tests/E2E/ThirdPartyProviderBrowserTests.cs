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
