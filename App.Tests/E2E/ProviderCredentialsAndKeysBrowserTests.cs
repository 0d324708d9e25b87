using System.Diagnostics;
using AdminPortal.App.Auth;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Test connection's credential check, key rotation and one authorization request per click, against real,
/// independent OpenID providers (oidc-provider), for a configured provider and one added in the portal.
/// </summary>
public class ProviderCredentialsAndKeysBrowserTests(ThirdPartyProviderPortal portal, ITestOutputHelper output) : IClassFixture<ThirdPartyProviderPortal>
{
    private const string CredentialsCheck = "[data-check='Client id and secret']";

    private string RuntimeScheme => ProviderSchemes.SchemeFor(portal.RuntimeProviderId);

    private async Task<ConnectionTestResult> TestConnectionAsync(long providerId)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Use(TenantScope.System("test"));
        return (await scope.ServiceProvider.GetRequiredService<IdentityProviderService>().TestConnectionAsync(providerId, portal.BaseUrl + "/"))!;
    }

    private Task<long> VersionAsync() =>
        portal.QueryAsync(db => db.CiamSystems.Where(c => c.Id == portal.RuntimeProviderId).Select(c => c.Version).SingleAsync());

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not come true within 15 s.");
            await Task.Delay(100);
        }
    }

    private ProviderConnectionTester Tester => portal.Services.GetRequiredService<ProviderConnectionTester>();

    [Fact]
    public async Task TestConnection_RuntimeProviderInTheBrowser_RightSecretPasses_WrongSecretFailsItsOwnCheck()
    {
        var page = await portal.SignInAsPersonaAsync("Platform admin");
        await page.GotoAsync($"{portal.BaseUrl}/identity-providers/{portal.RuntimeProviderId}");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        await page.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Expect(page.GetByTestId("test-summary")).ToHaveTextAsync("Every check passed.", new() { Timeout = 20_000 });
        await Expect(page.Locator(CredentialsCheck + "[data-outcome=Passed]")).ToContainTextAsync("The provider accepted client portal-runtime");

        // A wrong secret, saved as an admin would paste it; hostile text on the way, which must never render as markup.
        const string wrongSecret = "<img src=x onerror=alert(1)>-wrong-" + "9f3c2e";
        long version = await VersionAsync();
        await page.GetByLabel("Replace client secret", new() { Exact = true }).FillAsync(wrongSecret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await WaitUntilAsync(async () => await VersionAsync() > version);
        await page.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();

        await Expect(page.GetByTestId("test-summary")).ToHaveTextAsync("1 check(s) failed.", new() { Timeout = 20_000 });
        var failed = page.Locator(CredentialsCheck + "[data-outcome=Failed]");
        await Expect(failed).ToContainTextAsync(ProviderConnectionTester.RefusedCredentialsMessage);
        await Expect(failed).ToContainTextAsync("copy the client secret from the provider again");
        // Reaching the provider is not the problem: the other checks pass.
        await Expect(page.Locator("[data-check='Discovery document'][data-outcome=Passed]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-check='Signing keys (JWKS)'][data-outcome=Passed]")).ToBeVisibleAsync();
        Assert.DoesNotContain("9f3c2e", await page.ContentAsync());
        Assert.Equal(0, await page.Locator("img[src=x]").CountAsync());

        // The right secret again: the check passes.
        version = await VersionAsync();
        await page.GetByLabel("Replace client secret", new() { Exact = true }).FillAsync(portal.RuntimeSecret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await WaitUntilAsync(async () => await VersionAsync() > version);
        await page.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Expect(page.GetByTestId("test-summary")).ToHaveTextAsync("Every check passed.", new() { Timeout = 20_000 });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TestConnection_ConfiguredProvider_ProvesTheConfiguredCredentials()
    {
        string authority = portal.Services.GetRequiredService<SignInProviders>().Find(ThirdPartyProviderPortal.GenericScheme)!.CiamAuthority.TrimEnd('/');
        long partnerId = await portal.QueryAsync(db => db.CiamSystems.Where(c => c.Authority == authority).Select(c => c.Id).SingleAsync());

        var result = await TestConnectionAsync(partnerId);

        var check = Assert.Single(result.Checks, c => c.Name == ProviderConnectionTester.ClientCredentialsCheck);
        Assert.Equal(CheckOutcome.Passed, check.Outcome);
        Assert.Contains("portal-generic", check.Detail);
        Assert.True(result.Passed, string.Join("\n", result.Checks));
        Assert.Equal($"{portal.BaseUrl}/signin-{ThirdPartyProviderPortal.GenericScheme}", result.RedirectUri);
    }

    [Theory]
    [InlineData("portal-runtime", "wrong-secret")]
    [InlineData("portal-runtime", null)]
    [InlineData("no-such-client", "wrong-secret")]
    [InlineData("portal-runtime", "' OR 1=1; --\u0000\u202e")]
    public async Task TestAsync_RealProvider_WrongSecretOrUnknownClient_FailsTheCredentialCheckAlone(string clientId, string? secret)
    {
        var result = await Tester.TestAsync(CiamProviderType.Oidc, portal.RuntimeProvider.Issuer, $"{portal.BaseUrl}/signin-{RuntimeScheme}", default,
            new ProviderClientCredentials(clientId, secret));

        var check = Assert.Single(result.Checks, c => c.Outcome == CheckOutcome.Failed);
        Assert.Equal(ProviderConnectionTester.ClientCredentialsCheck, check.Name);
        Assert.StartsWith(ProviderConnectionTester.RefusedCredentialsMessage, check.Detail);
        Assert.NotNull(check.Fix);
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, check.Detail + check.Fix);
        }
    }

    [Fact]
    public async Task TestAsync_RealProvider_RightSecret_PassesEveryCheck()
    {
        var result = await Tester.TestAsync(CiamProviderType.Oidc, portal.RuntimeProvider.Issuer, $"{portal.BaseUrl}/signin-{RuntimeScheme}", default,
            new ProviderClientCredentials(ThirdPartyProviderPortal.RuntimeClientId, portal.RuntimeSecret));

        Assert.True(result.Passed, string.Join("\n", result.Checks));
        var check = Assert.Single(result.Checks, c => c.Name == ProviderConnectionTester.ClientCredentialsCheck);
        Assert.Equal(CheckOutcome.Passed, check.Outcome);
        Assert.Contains("pushed authorization request", check.Detail);
        Assert.DoesNotContain(portal.RuntimeSecret, string.Join("\n", result.Checks));
    }

    [Theory]
    [InlineData(ThirdPartyProviderPortal.GenericButton, "partner-support-1")]
    [InlineData(ThirdPartyProviderPortal.EntraButton, "partner-support-1")]
    [InlineData(ThirdPartyProviderPortal.RuntimeButton, "runtime-support-1")]
    public async Task SignIn_OneClick_SendsExactlyOneAuthorizationRequest(string button, string login)
    {
        var provider = button == ThirdPartyProviderPortal.RuntimeButton ? portal.RuntimeProvider : portal.Provider;
        // Warm up first: after another test rotated the keys, this sign-in takes the one silent retry (two requests).
        var warmUp = await portal.NewPageAsync();
        await portal.SignInThroughProviderAsync(warmUp, button, login);
        await warmUp.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await warmUp.Context.CloseAsync();
        var page = await portal.NewPageAsync();
        var seenByBrowser = new List<string>();
        page.Context.Request += (_, r) =>
        {
            if (new Uri(r.Url) is { AbsolutePath: "/auth" } uri && r.Url.StartsWith(provider.Issuer + "/", StringComparison.Ordinal))
            {
                lock (seenByBrowser) seenByBrowser.Add($"{r.ResourceType} {uri}");
            }
        };
        int before = provider.AuthorizationRequests;

        await portal.SignInThroughProviderAsync(page, button, login);
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        Assert.Equal(1, provider.AuthorizationRequests - before);
        lock (seenByBrowser) Assert.Single(seenByBrowser);
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData(ThirdPartyProviderPortal.GenericButton, "partner-support-1")]
    [InlineData(ThirdPartyProviderPortal.RuntimeButton, "runtime-support-1")]
    public async Task SignIn_AfterTheProviderRotatesItsSigningKeys_SucceedsOnTheFirstAttempt(string button, string login)
    {
        var provider = button == ThirdPartyProviderPortal.RuntimeButton ? portal.RuntimeProvider : portal.Provider;
        // A first sign-in: the portal now holds the provider's discovery document and key set A.
        var first = await portal.NewPageAsync();
        await portal.SignInThroughProviderAsync(first, button, login);
        await first.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await first.Context.CloseAsync();
        string oldKey = provider.SigningKeyId;

        await provider.RotateSigningKeysAsync();
        Assert.NotEqual(oldKey, provider.SigningKeyId);
        int requestsBefore = provider.AuthorizationRequests;
        int refusalsBefore = await RefusalsAsync();
        var watch = Stopwatch.StartNew();

        var page = await portal.NewPageAsync();
        await portal.SignInThroughProviderAsync(page, button, login);

        // The login form was filled once; the portal refreshed the keys and went back to the provider once, silently.
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await Expect(page.GetByTestId("user-name")).ToHaveTextAsync(portal.Legacy.DisplayName);
        output.WriteLine($"{button}: first sign-in after key rotation (click to interactive dashboard, login form filled once) {watch.ElapsedMilliseconds} ms");
        Assert.Equal(2, provider.AuthorizationRequests - requestsBefore);
        Assert.Equal(refusalsBefore, await RefusalsAsync());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_KeyStillUnknownOnTheOneRetry_FailsWithTheKeyMessageAndAnAuditEntry()
    {
        // The Entra-shaped scheme has cached the provider's keys; then the provider rotates them.
        var first = await portal.NewPageAsync();
        await portal.SignInThroughProviderAsync(first, ThirdPartyProviderPortal.EntraButton, "partner-support-1");
        await first.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await first.Context.CloseAsync();
        await portal.Provider.RotateSigningKeysAsync();
        int refusalsBefore = await RefusalsAsync();

        // A sign-in that is already the one retry (as the portal starts it after a refresh): no second refresh, no loop.
        var page = await portal.NewPageAsync();
        await page.GotoAsync($"{portal.BaseUrl}/signin/challenge/{ThirdPartyProviderPortal.EntraScheme}?returnUrl=%2F&keyRetry=1");
        await page.Locator("input[name=login]").FillAsync("partner-support-1");
        await page.Locator("input[name=password]").FillAsync("any password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();

        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("signed your sign-in with a key it does not publish", new() { Timeout = 20_000 });
        Assert.EndsWith("/signin?reason=SigningKeyUnknown", page.Url);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name.StartsWith("adminportal.session", StringComparison.Ordinal));
        Assert.Equal(refusalsBefore + 1, await RefusalsAsync());
        string changes = await portal.QueryAsync(db => db.AuditLog.Where(a => a.Action == App.Features.Audit.AuditActions.SignInRefused).OrderByDescending(a => a.Id).Select(a => a.Changes!).FirstAsync());
        Assert.Contains("\"reason\":\"SigningKeyUnknown\"", changes);
        Assert.Contains(ThirdPartyProviderPortal.EntraScheme, changes);
        Assert.DoesNotContain("eyJ", changes); // no token
        await page.Context.CloseAsync();
    }

    private Task<int> RefusalsAsync() =>
        portal.QueryAsync(db => db.AuditLog.CountAsync(a => a.Action == App.Features.Audit.AuditActions.SignInRefused));
}
