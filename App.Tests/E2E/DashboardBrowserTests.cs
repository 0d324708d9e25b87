using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>The running portal in Debian's Chromium: what a newcomer sees after <c>dotnet run</c>.</summary>
public class DashboardBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private Task<IPage> OpenDashboardAsync(int width = 1280, int height = 900) =>
        server.SignInAsync("Platform admin", width: width, height: height);

    [Fact]
    public async Task Dashboard_FreshPortal_ShowsTheSeededNumbersAndChart()
    {
        var page = await OpenDashboardAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("2");
        await Expect(page.Locator("[data-stat=Sites]")).ToHaveTextAsync("3");
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync("40");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Users by sync status" })).ToContainTextAsync("Failed");
        await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Posts by status" })).ToContainTextAsync("Scheduled");
        await Expect(page.GetByTestId("sign-in-total")).ToContainTextAsync("sign-ins");
        await Expect(page.Locator(".mud-chart svg").First).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true })).ToBeVisibleAsync();
        await page.CloseAsync();
    }

    [Fact]
    public async Task DarkModeToggle_Click_SwitchesThemeAndSavesScreenshotsOfBoth()
    {
        var page = await OpenDashboardAsync();
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync("40");
        string lightBackground = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("shell-light.png"), FullPage = true });

        await page.GetByRole(AriaRole.Button, new() { Name = "Switch to dark mode" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Switch to light mode" })).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("bg => getComputedStyle(document.body).backgroundColor !== bg", lightBackground);
        await page.Mouse.MoveAsync(0, 400);
        await page.WaitForTimeoutAsync(300);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("shell-dark.png"), FullPage = true });

        // The choice is stored in the browser for the next visit.
        await page.WaitForFunctionAsync("() => localStorage.getItem('adminportal.dark-mode') === 'true'");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Dashboard_PhoneWidth_HidesTheDrawerBehindTheMenuButton()
    {
        var page = await OpenDashboardAsync(390, 844);
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync("40");

        var navigation = page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true });
        // The responsive drawer closes itself once MudBlazor has measured the phone's width; toggle only after that.
        await Expect(page.Locator(".mud-drawer.mud-drawer--closed")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(navigation).Not.ToBeInViewportAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Toggle navigation" }).ClickAsync();
        await Expect(navigation).ToBeInViewportAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("shell-phone.png") });
        await page.CloseAsync();
    }

    [Fact]
    public async Task Health_RunningPortal_ReportsHealthyWithoutSignIn()
    {
        using var client = new HttpClient();

        var response = await client.GetAsync(server.BaseUrl + "/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        Assert.True(File.Exists(server.DatabaseFile), "the portal should use the SQLite file the test gave it");
    }
}
