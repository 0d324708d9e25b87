using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

public class CustomersBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task PlatformAdmin_CreatesACustomer_CannotDeactivateTheirOwn_AndDeactivatesAnotherWithTheImpactShown()
    {
        var page = await server.SignInAsync("Platform admin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Customers", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "New customer" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Northwind Traders");
        await page.GetByLabel("Slug", new() { Exact = true }).FillAsync("Northwind!");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("A slug has lower-case letters")).ToBeVisibleAsync();
        await page.GetByLabel("Slug", new() { Exact = true }).FillAsync("northwind");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.Locator("[data-customer=northwind]")).ToBeVisibleAsync();

        // The platform admin's own customer (which also holds the only platform admin) is refused, with the reason.
        await page.Locator("[data-customer=contoso]").GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(page.GetByText("You cannot deactivate your own customer")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-customer=contoso]")).ToContainTextAsync("Active");
        await Expect(page.Locator("[data-customer=contoso]")).Not.ToContainTextAsync("Deactivated");

        await page.Locator("[data-customer=fabrikam]").GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(page.GetByText("stay untouched, but none of its users can sign in")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(page.Locator("[data-customer=fabrikam]")).ToContainTextAsync("Deactivated");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("customers.png") });
        await page.CloseAsync();
    }
}
