using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// The dashboard and the users grid photographed at a desktop's and a phone's width, with the phone's account menu
/// and the drawer open: the pictures to compare when the layout's components become their markup (docs/performance.md,
/// "Eighth round"). Each picture is taken after what it shows is on screen.
/// </summary>
public class ShellScreenshotsBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Theory]
    [InlineData(1280, 900)]
    [InlineData(390, 844)]
    public async Task DashboardAndUsersGrid_LookAsBefore_AtDesktopAndPhoneWidths(int width, int height)
    {
        var page = await server.SignInAsync("Customer admin · Contoso", width: width, height: height);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(1500); // the charts' animation
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"shell-dashboard-{width}.png") });

        await page.GotoAsync(server.BaseUrl + "/users?sort=Email");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("tr[data-user-id]").First).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Invite a person" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" })).ToBeEnabledAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Clear filters" })).ToBeDisabledAsync();
        await page.Mouse.MoveAsync(0, height - 1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"shell-users-{width}.png"), FullPage = true });

        if (width < 600)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Account menu" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" })).ToBeVisibleAsync();
            await page.WaitForTimeoutAsync(500);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"shell-users-{width}-menu.png") });
            await page.GotoAsync(server.BaseUrl + "/users?sort=Email");
            await page.Locator("[data-interactive=true]").WaitForAsync();
            await Expect(page.Locator("tr[data-user-id]").First).ToBeVisibleAsync();

            // On a phone the drawer starts closed and opens over the page. MudDrawer closes itself once its JS has
            // read the window's width: a click before that toggled the still-open drawer shut.
            await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Areas" }).GetByRole(AriaRole.Link, new() { Name = "Users" })).Not.ToBeInViewportAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" }).ClickAsync();
        }

        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Areas" }).GetByRole(AriaRole.Link, new() { Name = "Users" })).ToBeInViewportAsync();
        await page.WaitForTimeoutAsync(500);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"shell-users-{width}-drawer.png") });
        await page.CloseAsync();
    }
}
