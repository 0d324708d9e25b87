using AdminPortal.App.Data;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// A platform admin's tenant switch lasts: across a reload and into a new tab (its cookie), and in links (the
/// address's ?customer=). Tampered addresses are refused with a notice, never obeyed.
/// </summary>
public class TenantSwitchBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    private Task<long> CustomerIdAsync(string slug) => server.QueryAsync(db => db.Customers.Where(c => c.Slug == slug).Select(c => c.Id).SingleAsync());

    private Task<int> SwitchEntriesAsync(long customerId) =>
        server.QueryAsync(db => db.AuditLog.CountAsync(a => a.Action == "switch_tenant" && a.CustomerId == customerId));

    private static async Task WaitForCircuitAsync(IPage page) =>
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

    [Fact]
    public async Task Switch_ThenReloadAndNewTab_StayNarrowed_AndClearWidens()
    {
        long contoso = await CustomerIdAsync("contoso");
        int entriesBefore = await SwitchEntriesAsync(contoso);
        // A context of our own, so that a second tab shares its cookies as a browser's tabs do.
        var browser = await server.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.BaseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Platform admin" }).First.ClickAsync();
        await WaitForCircuitAsync(page);
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("2");
        await Expect(page.GetByTestId("tenant-scope")).ToHaveCountAsync(0);

        await page.GetByLabel("Customer").First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Contoso Media" }).ClickAsync();

        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"[?&]customer={contoso}$"));
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("1");

        await page.ReloadAsync();
        await WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("1");

        // A new tab of the same browser, on a bare address: the cookie narrows it, and the address says so.
        var tab = await page.Context.NewPageAsync();
        await tab.GotoAsync(server.BaseUrl + "/users");
        await WaitForCircuitAsync(tab);
        await Expect(tab.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await Expect(tab).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/users\\?customer={contoso}$"));
        // Moving around keeps it in the address.
        await tab.GetByRole(AriaRole.Link, new() { Name = "Posts", Exact = true }).ClickAsync();
        await Expect(tab).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/posts\\?customer={contoso}$"));
        await Expect(tab.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await tab.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("tenant-scope-chip.png") });

        // One switch, one audit entry: the reload and the new tab restored it and wrote nothing.
        Assert.Equal(entriesBefore + 1, await SwitchEntriesAsync(contoso));

        await tab.GetByTestId("tenant-scope-clear").ClickAsync();
        await Expect(tab.GetByTestId("tenant-scope")).ToHaveCountAsync(0);
        await Expect(tab).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer="));
        await page.GotoAsync(server.BaseUrl + "/");
        await WaitForCircuitAsync(page);
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("2");
        await Expect(page.GetByTestId("tenant-scope")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Link_WithCustomerParameter_NarrowsAndIsAudited()
    {
        long fabrikam = await CustomerIdAsync("fabrikam");
        int entriesBefore = await SwitchEntriesAsync(fabrikam);
        var page = await server.SignInAsync("Platform admin");

        await page.GotoAsync($"{server.BaseUrl}/users?customer={fabrikam}");
        await WaitForCircuitAsync(page);

        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Fabrikam Publishing");
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("1");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/\\?customer={fabrikam}$"));
        Assert.Equal(entriesBefore + 1, await SwitchEntriesAsync(fabrikam));
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("%3Cscript%3Ealert(1)%3C%2Fscript%3E", "not valid")]
    [InlineData("99999999999999999999999999999999999999999999999999999999", "not valid")]
    [InlineData("1.2.3", "not valid")]
    [InlineData("123456789", "does not exist")]
    public async Task Link_WithHostileOrUnknownCustomer_ShowsANoticeAndStaysOnAllCustomers(string value, string notice)
    {
        var page = await server.SignInAsync("Platform admin");

        await page.GotoAsync($"{server.BaseUrl}/?customer={value}");
        await WaitForCircuitAsync(page);

        await Expect(page.GetByTestId("tenant-notice")).ToContainTextAsync(notice);
        await Expect(page.GetByTestId("tenant-scope")).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("2");
        await Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer="));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task CustomerAdmin_WithAnotherCustomerInTheAddress_IsNotSwitched()
    {
        long contoso = await CustomerIdAsync("contoso");
        long fabrikam = await CustomerIdAsync("fabrikam");
        int fabrikamUsers = await server.QueryAsync(db => db.Users.CountAsync(u => u.CustomerId == fabrikam));
        int entriesBefore = await SwitchEntriesAsync(contoso);
        var page = await server.SignInAsync("Customer admin · Fabrikam");

        await page.GotoAsync($"{server.BaseUrl}/?customer={contoso}");
        await WaitForCircuitAsync(page);

        await Expect(page.GetByTestId("tenant-notice")).ToContainTextAsync("Only a platform admin can switch customer");
        await Expect(page.GetByTestId("tenant")).ToHaveTextAsync("Fabrikam Publishing");
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync(fabrikamUsers.ToString());
        await Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer="));
        // A cookie planted for this user does nothing either: only a platform admin's claims allow a switch.
        await page.Context.AddCookiesAsync([new Cookie { Name = "portal_tenant", Value = $"1_{contoso}", Url = server.BaseUrl }]);
        await page.ReloadAsync();
        await WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("tenant")).ToHaveTextAsync("Fabrikam Publishing");
        Assert.Equal(entriesBefore, await SwitchEntriesAsync(contoso));
        await page.Context.CloseAsync();
    }

    /// <summary>Only a platform admin's circuit hears navigations before they happen: everyone else's is corrected
    /// after one, with the same notice, and never switches.</summary>
    [Theory]
    [InlineData("contoso")]
    [InlineData("%3Cscript%3Ealert(1)%3C%2Fscript%3E")]
    [InlineData("1_2_3_%22%27")]
    public async Task CustomerAdmin_NavigatingInTheCircuitToAnotherCustomer_IsNotSwitched(string value)
    {
        long contoso = await CustomerIdAsync("contoso");
        long fabrikam = await CustomerIdAsync("fabrikam");
        int fabrikamUsers = await server.QueryAsync(db => db.Users.CountAsync(u => u.CustomerId == fabrikam));
        int entriesBefore = await SwitchEntriesAsync(contoso);
        var page = await server.SignInAsync("Customer admin · Fabrikam");
        await page.GotoAsync($"{server.BaseUrl}/users");
        await WaitForCircuitAsync(page);

        // A navigation inside the circuit, as a link or a script makes it: no new page load, no restore.
        string address = $"/?customer={(value == "contoso" ? contoso.ToString() : value)}";
        await page.EvaluateAsync("address => Blazor.navigateTo(address)", address);

        await Expect(page.GetByTestId("tenant-notice")).ToContainTextAsync("Only a platform admin can switch customer");
        await Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer="));
        await Expect(page.GetByTestId("tenant")).ToHaveTextAsync("Fabrikam Publishing");
        await Expect(page.Locator("[data-stat=Users]")).ToHaveTextAsync(fabrikamUsers.ToString());
        Assert.Equal(entriesBefore, await SwitchEntriesAsync(contoso));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Phone_SwitchFromTheAccountMenu_EscapeCancels_DoneShowsTheNarrowedScope()
    {
        long contoso = await CustomerIdAsync("contoso");
        int entriesBefore = await SwitchEntriesAsync(contoso);
        var page = await server.SignInAsync("Platform admin", width: 390, height: 844);
        var dialog = page.GetByRole(AriaRole.Dialog);

        async Task ChooseContosoAsync()
        {
            await page.GetByRole(AriaRole.Button, new() { Name = "Account menu" }).ClickAsync();
            await page.GetByRole(AriaRole.Menuitem, new() { Name = "Switch customer" }).ClickAsync();
            await dialog.GetByLabel("Customer").First.ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Contoso Media" }).ClickAsync();
            // The dialog stays open after the choice (the address waits for Done: a navigation would close it), and offers the sites.
            await Expect(dialog.GetByLabel("Site").First).ToBeVisibleAsync();
            await Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer="));
        }

        // Escape after a choice is "never mind": still all customers, nothing in the address, nothing audited.
        await ChooseContosoAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await page.WaitForTimeoutAsync(500);
        await Expect(page.GetByTestId("tenant-scope")).ToHaveCountAsync(0);
        await Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer="));
        Assert.Equal(entriesBefore, await SwitchEntriesAsync(contoso));

        // Done applies it.
        await ChooseContosoAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("tenant-scope")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Contoso Media");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"customer={contoso}"));
        Assert.Equal(entriesBefore + 1, await SwitchEntriesAsync(contoso));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("tenant-scope-phone.png") });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task BackButton_ToAnAddressWithoutTheCustomer_StaysNarrowedAndTheAddressCarriesItAgain()
    {
        long contoso = await CustomerIdAsync("contoso");
        var page = await server.SignInAsync("Platform admin");
        // The first history entry is the bare "/" of the sign-in, from before the switch.
        await Expect(page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("customer="));
        await page.GetByRole(AriaRole.Link, new() { Name = "Users", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync();
        await page.GetByLabel("Customer").First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Contoso Media" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/users\\?customer={contoso}$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Posts", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/posts\\?customer={contoso}$"));

        await page.GoBackAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/users\\?customer={contoso}$"));
        // Back to the bare "/": the scope stays narrowed, and a second navigation puts it back in the address.
        await page.GoBackAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/\\?customer={contoso}$"));
        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("1");
        // Forward again, and a reload of the corrected address, keep it too.
        await page.GoForwardAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/users\\?customer={contoso}$"));
        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ViewAs_StoppedByANarrowedPlatformAdmin_GivesTheRememberedSwitchBack()
    {
        long contoso = await CustomerIdAsync("contoso");
        var editor = await server.QueryAsync(db => db.Users.Where(u => u.PortalRole == AdminPortal.App.Tenancy.PortalRole.Editor && u.Customer!.Slug == "contoso" && u.OidcSubject != null).OrderBy(u => u.Email).FirstAsync());
        var page = await server.SignInAsync("Platform admin");
        await page.GotoAsync($"{server.BaseUrl}/users/{editor.Id}?customer={contoso}");
        await WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");

        await page.GetByRole(AriaRole.Button, new() { Name = "View as" }).ClickAsync();
        await Expect(page.GetByTestId("view-as-banner")).ToBeVisibleAsync();
        // Moving around while viewing as drops the parameter from the address.
        await page.GetByRole(AriaRole.Link, new() { Name = "Posts", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Posts", Level = 1 })).ToBeVisibleAsync();
        await page.GetByTestId("view-as-banner").GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();

        await Expect(page.GetByTestId("view-as-banner")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/users/{editor.Id}\\?customer={contoso}$"));
        // Anywhere next, and after a reload, it is still Contoso.
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-stat=Customers]")).ToHaveTextAsync("1");
        await page.ReloadAsync();
        await WaitForCircuitAsync(page);
        await Expect(page.GetByTestId("tenant-scope")).ToContainTextAsync("Viewing: Contoso Media");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task NarrowedScopeAndNotice_LightAndDark_HaveNoSeriousAxeViolations()
    {
        long contoso = await CustomerIdAsync("contoso");
        var page = await server.SignInAsync("Platform admin");
        var found = new List<string>();
        foreach (bool dark in new[] { false, true })
        {
            await page.EvaluateAsync("dark => localStorage.setItem('adminportal.dark-mode', dark ? 'true' : 'false')", dark);
            // The chip over the users grid (relative times with local ones under them), then a refused address's notice.
            foreach (string path in new[] { $"/users?customer={contoso}", "/?customer=not-an-id" })
            {
                await page.GotoAsync(server.BaseUrl + path);
                await WaitForCircuitAsync(page);
                await page.Locator($"[data-theme={(dark ? "dark" : "light")}]").WaitForAsync();
                await Expect(page.GetByTestId("tenant-scope")).ToBeVisibleAsync();
                await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 }).First).ToBeVisibleAsync();
                await page.WaitForTimeoutAsync(dark ? 400 : 100);
                var result = await page.RunAxe(new AxeRunOptions
                {
                    RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
                    ResultTypes = [ResultType.Violations],
                });
                found.AddRange(result.Violations.Where(v => v.Impact is "critical" or "serious")
                    .SelectMany(v => v.Nodes.Select(n => $"[{(dark ? "dark" : "light")} {path}] {v.Id} at {n.Target}")));
            }

            await Expect(page.GetByTestId("tenant-notice")).ToContainTextAsync("not valid");
        }

        await page.Context.CloseAsync();
        Assert.True(found.Count == 0, string.Join("\n", found));
    }
}
