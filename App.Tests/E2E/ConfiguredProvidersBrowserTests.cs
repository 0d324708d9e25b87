using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>The portal started with providers in its configuration: one broken, one valid, next to the development provider.</summary>
public sealed class ConfiguredProvidersServer : IAsyncLifetime
{
    public PortalServer Server { get; } = new()
    {
        ExtraSettings =
        {
            ["Authentication:Oidc:broken:DisplayName"] = "Broken IdP",
            ["Authentication:Oidc:broken:Authority"] = "http://sso.broken.example/realms/x",
            ["Authentication:Oidc:broken:ClientId"] = "portal",
            ["Authentication:Oidc:acme:DisplayName"] = "Acme SSO",
            ["Authentication:Oidc:acme:Authority"] = "https://sso.acme.example/realms/acme",
            ["Authentication:Oidc:acme:ClientId"] = "admin-portal",
        },
    };

    public Task InitializeAsync() => ((IAsyncLifetime)Server).InitializeAsync();

    public Task DisposeAsync() => ((IAsyncLifetime)Server).DisposeAsync();
}

public class ConfiguredProvidersBrowserTests(ConfiguredProvidersServer fixture) : IClassFixture<ConfiguredProvidersServer>
{
    [Fact]
    public async Task PlatformAdmin_SeesTheConfigurationProblem_AndTheConfiguredProviderReadOnly()
    {
        var server = fixture.Server;
        var signIn = await server.Browser.NewPageAsync();
        await signIn.GotoAsync(server.BaseUrl + "/signin");
        var buttons = signIn.GetByRole(AriaRole.Navigation, new() { Name = "Identity providers" }).GetByRole(AriaRole.Link);
        await Expect(buttons.Filter(new() { HasText = "Acme SSO" })).ToHaveCountAsync(1);
        await Expect(buttons.Filter(new() { HasText = "Broken IdP" })).ToHaveCountAsync(0);
        await signIn.CloseAsync();

        var page = await server.SignInAsync("Platform admin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Identity providers", Exact = true }).ClickAsync();
        var problems = page.GetByTestId("configuration-problems");
        await Expect(problems).ToContainTextAsync("Configuration problems: 1 configured provider is not offered at sign-in");
        await Expect(problems.Locator("[data-configuration-problem='Authentication:Oidc:broken']")).ToContainTextAsync("Authority uses plain http");

        // Created at start-up, with no SQL, and read-only here.
        var row = page.Locator("[data-provider='Acme SSO']");
        await Expect(row.GetByTestId("from-configuration")).ToHaveTextAsync("From configuration");
        await Expect(row).ToContainTextAsync("Offered");
        await Expect(page.Locator("[data-provider='Development sign-in']").GetByTestId("from-configuration")).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("identity-providers-configuration.png"), FullPage = true });

        await row.GetByRole(AriaRole.Link, new() { Name = "Acme SSO", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("from-configuration")).ToContainTextAsync("managed in Authentication:Oidc:acme");
        await Expect(page.GetByLabel("Client id")).ToBeDisabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save" })).ToHaveCountAsync(0);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete provider" })).ToHaveCountAsync(0);
        await page.CloseAsync();
    }
}
