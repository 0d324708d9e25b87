using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

public class SchemaBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task SchemaPage_PlatformAdmin_OpensItFromTheNavigationAndSeesNoDrift()
    {
        var page = await server.SignInAsync("Platform admin");

        await page.GetByRole(AriaRole.Link, new() { Name = "Schema", Exact = true }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Schema", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("drift-summary")).ToContainTextAsync("No drift");
        await Expect(page.GetByTestId("migration-summary")).ToContainTextAsync("Up to date");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("schema.png"), FullPage = true });
        await page.CloseAsync();
    }

    [Fact]
    public async Task SchemaPage_Editor_HasNoLinkAndTheDirectUrlSaysNotAuthorized()
    {
        var page = await server.SignInAsync("Editor · Contoso");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Schema", Exact = true })).ToHaveCountAsync(0);

        await page.GotoAsync(server.BaseUrl + "/schema");

        await Expect(page.GetByText("You are not authorized to see that page.")).ToBeVisibleAsync();
        await page.CloseAsync();
    }
}
