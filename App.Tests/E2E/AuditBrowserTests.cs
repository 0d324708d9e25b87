using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

public class AuditBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task AuditPage_CustomerAdmin_SeesTheirTenantsEntriesAndFiltersThem()
    {
        var page = await server.SignInAsync("Customer admin · Fabrikam");
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit log", Level = 1 })).ToBeVisibleAsync();

        var tenants = await page.Locator("[data-audit-id] td:nth-child(3)").AllInnerTextsAsync();
        Assert.NotEmpty(tenants);
        Assert.All(tenants, tenant => Assert.Equal("Fabrikam Publishing", tenant));

        await page.GetByLabel("Action", new() { Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("action=sign_in"));
        await Expect(page.Locator("[data-audit-id] td:nth-child(5)").Filter(new() { HasNotText = "sign in" })).ToHaveCountAsync(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("audit.png"), FullPage = true });
        await page.CloseAsync();
    }

    [Fact]
    public async Task AuditPage_Editor_IsNotAuthorized()
    {
        var page = await server.SignInAsync("Editor · Fabrikam");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Audit" })).ToHaveCountAsync(0);

        await page.GotoAsync(server.BaseUrl + "/audit");

        await Expect(page.GetByText("You are not authorized to see that page.")).ToBeVisibleAsync();
        await page.CloseAsync();
    }
}
