using System.Text.Json;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Issue 15 item 6, by bounding boxes: an open edit form never pushes a row's actions out of view, the dormant-days
/// label is not cut off by the spinner, and on a phone the app bar keeps everything on the screen with Sign out reachable.
/// </summary>
public class LayoutBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Theory]
    [InlineData("/sites", "Edit site", "data-site")]
    [InlineData("/customers", "Edit customer", "data-customer")]
    public async Task EditForm_Open_KeepsEveryRowActionInView(string path, string heading, string rowAttribute)
    {
        var page = await server.SignInAsync("Platform admin", width: 1280, height: 900);
        await page.GotoAsync(server.BaseUrl + path);
        await page.Locator("[data-interactive=true]").WaitForAsync();
        var rows = page.Locator($"tr[{rowAttribute}]");
        await Expect(rows.First).ToBeVisibleAsync();

        await rows.Last.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        var panel = page.GetByTestId("edit-panel");
        await Expect(panel.GetByRole(AriaRole.Heading, new() { Name = heading })).ToBeVisibleAsync();
        // The form takes the focus (and so comes into view) wherever the row was.
        await Expect(panel.GetByLabel("Name")).ToBeFocusedAsync();
        await Expect(panel).ToBeInViewportAsync();

        foreach (int width in new[] { 1280, 1024 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.WaitForTimeoutAsync(300);
            int count = await rows.CountAsync();
            Assert.True(count > 0);
            for (int i = 0; i < count; i++)
            {
                foreach (var button in await rows.Nth(i).GetByRole(AriaRole.Button).AllAsync())
                {
                    await AssertFullyVisibleAsync(page, button, width, $"{path} at {width} px, row {i}");
                }
            }

            await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"layout{path.Replace('/', '-')}-edit-{width}.png"), FullPage = true });
        }

        // Validation still speaks next to the field.
        await panel.GetByLabel("Name").FillAsync("   ");
        await panel.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(panel.Locator(".mud-input-control").Filter(new() { Has = page.GetByLabel("Name") }).Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync("Enter a name");
        await page.CloseAsync();
    }

    [Theory]
    [InlineData(1440)]
    [InlineData(1280)]
    public async Task DormantDays_Label_IsNotCutOffByTheSpinner(int width)
    {
        var page = await server.SignInAsync("Customer admin · Contoso", width: width, height: 900);
        await page.GotoAsync(server.BaseUrl + "/users");
        // The circuit replaces the prerendered field: measure and photograph the interactive one.
        await page.Locator("[data-interactive=true]").WaitForAsync();
        var field = page.Locator(".dormant-days");
        await Expect(field).ToBeVisibleAsync();
        var box = await field.EvaluateAsync<JsonElement>("""
            f => {
                const label = f.querySelector('label');
                const spin = f.querySelector('.mud-input-numeric-spin');
                const l = label.getBoundingClientRect();
                const s = spin.getBoundingClientRect();
                return { text: label.textContent, labelRight: l.right, spinLeft: s.left, scroll: label.scrollWidth, client: label.clientWidth };
            }
            """);
        Assert.Equal("No sign-in for (days)", box.GetProperty("text").GetString()?.Trim());
        Assert.True(box.GetProperty("scroll").GetDouble() <= box.GetProperty("client").GetDouble() + 0.5, $"label text cut off: {box}");
        Assert.True(box.GetProperty("labelRight").GetDouble() <= box.GetProperty("spinLeft").GetDouble(), $"label runs under the spinner: {box}");
        await field.ScreenshotAsync(new LocatorScreenshotOptions { Path = PortalServer.ScreenshotPath($"layout-dormant-{width}.png") });
        await page.CloseAsync();
    }

    [Theory]
    [InlineData("Platform admin")]
    [InlineData("Customer admin · Contoso")]
    public async Task Phone_AppBar_KeepsEverythingOnScreenAndSignOutInTheMenu(string persona)
    {
        var page = await server.SignInAsync(persona, width: 390, height: 844);
        var bar = page.Locator("header.mud-appbar");
        await Expect(bar).ToBeVisibleAsync();
        var outside = await bar.EvaluateAsync<string[]>("""
            bar => [...bar.querySelectorAll('button, a, h6, .mud-chip, .mud-select')]
                .filter(e => e.offsetParent !== null)
                .map(e => ({ e, r: e.getBoundingClientRect() }))
                .filter(x => x.r.width > 0 && (x.r.left < 0 || x.r.right > window.innerWidth || x.r.top < 0))
                .map(x => (x.e.getAttribute('aria-label') || x.e.textContent).trim() + ' ' + Math.round(x.r.left) + '..' + Math.round(x.r.right))
            """);
        Assert.Empty(outside);
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");

        var menu = page.GetByRole(AriaRole.Button, new() { Name = "Account menu" });
        await AssertFullyVisibleAsync(page, menu, 390, "account menu button");
        await menu.ClickAsync();
        var signOut = page.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" });
        await Expect(signOut).ToBeVisibleAsync();
        await AssertFullyVisibleAsync(page, signOut, 390, "Sign out");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"layout-phone-menu-{persona.Split(' ')[0].ToLowerInvariant()}.png") });
        await signOut.ClickAsync();
        await Expect(page.GetByTestId("sign-in-message")).ToContainTextAsync("You have signed out");
        await page.CloseAsync();
    }

    [Theory]
    [InlineData("/sites", "data-site")]
    [InlineData("/customers", "data-customer")]
    public async Task Phone_SitesAndCustomers_StackRowsWithoutSidewaysScrolling_AndKeepEveryAction(string path, string rowAttribute)
    {
        var page = await server.SignInAsync("Platform admin", width: 390, height: 844);
        await page.GotoAsync(server.BaseUrl + path);
        await page.Locator("[data-interactive=true]").WaitForAsync();
        var rows = page.Locator($"tr[{rowAttribute}]");
        await Expect(rows.First).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(300);

        await AssertNoSidewaysScrollingAsync(page, $"{path} at 390 px");
        int count = await rows.CountAsync();
        for (int i = 0; i < count; i++)
        {
            var buttons = await rows.Nth(i).Locator("button, a.mud-button-root").AllAsync();
            Assert.True(buttons.Count >= 3, $"{path} row {i} has {buttons.Count} actions");
            foreach (var button in buttons)
            {
                await AssertFullyVisibleAsync(page, button, 390, $"{path} at 390 px, row {i}");
            }
        }

        // Each value says what it is once the header row is out of sight.
        await Expect(rows.First.Locator("td[data-label=Name]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"layout-phone{path.Replace('/', '-')}.png"), FullPage = true });

        // The edit form opens above the stacked rows and is usable there too.
        await rows.First.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
        await Expect(page.GetByTestId("edit-panel").GetByLabel("Name")).ToBeFocusedAsync();
        await AssertNoSidewaysScrollingAsync(page, $"{path} at 390 px with the edit form open");
        await page.CloseAsync();
    }

    /// <summary>
    /// The Jobs table at 390 px: its seven columns pushed Created, Finished and Stop off the right of its container.
    /// Stacked, no table box scrolls sideways and a running job's Stop is on the screen and works, on the list and by id.
    /// </summary>
    [Fact]
    public async Task Phone_Jobs_StackRowsWithoutSidewaysScrolling_AndStopIsOnScreenAndWorks()
    {
        var (running, finished) = await server.QueryAsync(async db =>
        {
            var contoso = await db.Customers.SingleAsync(c => c.Slug == "contoso");
            var now = DateTime.UtcNow;
            // Claimed by an instance that is not this one, with a lease that outlasts the test: no worker touches it.
            // A long unbroken starter name (the widest a row gets) must wrap, not widen the table.
            var job = new BulkJob
            {
                Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Kind = JobKind.Users, Action = "Lock", Filter = "{}", Total = 1_001, Done = 250,
                State = JobState.Running, StartedBy = "a.very.long.address.without.any.spaces.at.all" + new string('x', 60) + "@contoso.example",
                StartedByRole = PortalRoles.CustomerAdmin, ClaimedBy = "another-instance", LeaseUntil = now.AddDays(1), CreatedAt = now.AddMinutes(-3), StartedAt = now.AddMinutes(-3),
            };
            var done = new BulkJob
            {
                Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Kind = JobKind.Posts, Action = "Publish", Filter = "{}", Total = 40, Done = 40,
                State = JobState.Succeeded, StartedBy = "layout-seed", StartedByRole = PortalRoles.CustomerAdmin,
                CreatedAt = now.AddHours(-2), StartedAt = now.AddHours(-2), FinishedAt = now.AddHours(-2).AddMinutes(1),
            };
            db.Jobs.AddRange(job, done);
            await db.SaveChangesAsync();
            return (job.Id, done.Id);
        });
        var page = await server.SignInAsync("Platform admin", width: 390, height: 844);

        foreach (string path in new[] { $"/jobs/{finished}", "/jobs", $"/jobs/{running}" })
        {
            await page.GotoAsync(server.BaseUrl + path);
            await page.Locator("[data-interactive=true]").WaitForAsync();
            await Expect(page.GetByTestId("job-row").First).ToBeVisibleAsync();
            await page.WaitForTimeoutAsync(300);
            await AssertNoSidewaysScrollingAsync(page, $"{path} at 390 px");
            // Each value says what it is once the header row is out of sight.
            await Expect(page.GetByTestId("job-row").First.Locator("td[data-label=State]")).ToBeVisibleAsync();
        }

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("layout-phone-jobs-running.png"), FullPage = true });
        var row = page.Locator($"tr[data-job-id='{running}']");
        var stop = row.GetByRole(AriaRole.Button, new() { Name = "Stop Lock users" });
        await AssertFullyVisibleAsync(page, stop, 390, "Stop of the running job");
        await stop.ClickAsync(new LocatorClickOptions { Timeout = 5_000 });
        var confirm = page.GetByRole(AriaRole.Dialog);
        await Expect(confirm).ToContainTextAsync("Stop this job?");
        await confirm.GetByRole(AriaRole.Button, new() { Name = "Stop the job" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Stopping");
        Assert.NotNull(await server.QueryAsync(db => db.Jobs.Where(j => j.Id == running).Select(j => j.CancelRequestedBy).SingleAsync()));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Audit_At1280_DoesNotScrollSideways()
    {
        var page = await server.SignInAsync("Platform admin", width: 1280, height: 800);
        await page.GotoAsync(server.BaseUrl + "/audit");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await Expect(page.Locator("[data-audit-id]").First).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(300);

        await AssertNoSidewaysScrollingAsync(page, "/audit at 1280 px");
        var changes = page.Locator("[data-audit-id] td:last-child");
        await AssertFullyVisibleAsync(page, changes.First, 1280, "the first row's changes");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("layout-audit-1280.png") });
        await page.CloseAsync();
    }

    [Fact]
    public async Task Phone_AccountMenu_SignOutHasTheSameFontAsTheOtherItems()
    {
        var page = await server.SignInAsync("Platform admin", width: 390, height: 844);
        await page.GetByRole(AriaRole.Button, new() { Name = "Account menu" }).ClickAsync();
        var items = page.GetByRole(AriaRole.Menuitem);
        await Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" })).ToBeVisibleAsync();
        // The computed font of the element that holds each item's words.
        var fonts = await items.EvaluateAllAsync<string[]>("""
            items => items.map(item => {
                const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT, { acceptNode: n => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT });
                const text = walker.nextNode();
                const s = getComputedStyle(text.parentElement);
                return `${text.textContent.trim()}|${s.fontSize} ${s.fontWeight} ${s.lineHeight} ${s.letterSpacing} ${s.fontFamily}`;
            })
            """);
        Assert.True(fonts.Length >= 3, string.Join("; ", fonts));
        var signOut = fonts.Single(f => f.StartsWith("Sign out|", StringComparison.Ordinal)).Split('|')[1];
        Assert.All(fonts, f => Assert.Equal(f.Split('|')[0] + "|" + signOut, f));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("layout-phone-menu-fonts.png") });
        await page.CloseAsync();
    }

    /// <summary>Neither the page nor any table box on it is wider than what it shows (no sideways scrolling).</summary>
    private static async Task AssertNoSidewaysScrollingAsync(IPage page, string what)
    {
        var wide = await page.EvaluateAsync<string[]>("""
            () => [document.documentElement, ...document.querySelectorAll('.mud-table-container, .scroll-region, main')]
                .filter(e => e.scrollWidth > e.clientWidth + 1)
                .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`)
            """);
        Assert.True(wide.Length == 0, $"{what} scrolls sideways: {string.Join("; ", wide)}");
    }

    /// <summary>Inside the window and not cut by any scrolling or clipping ancestor (the table's container clipped the actions).</summary>
    private static async Task AssertFullyVisibleAsync(IPage page, ILocator element, int width, string what)
    {
        await element.ScrollIntoViewIfNeededAsync();
        var result = await element.EvaluateAsync<string?>("""
            e => {
                const r = e.getBoundingClientRect();
                if (r.width === 0 || r.left < 0 || r.right > window.innerWidth + 0.5) return `outside the window: ${r.left}..${r.right} of ${window.innerWidth}`;
                for (let p = e.parentElement; p; p = p.parentElement) {
                    const style = getComputedStyle(p);
                    if (style.overflowX === 'visible') continue;
                    const c = p.getBoundingClientRect();
                    if (r.left < c.left - 0.5 || r.right > c.right + 0.5) return `clipped by ${p.className}: ${r.left}..${r.right} in ${c.left}..${c.right}`;
                }
                return null;
            }
            """);
        Assert.True(result is null, $"{what} ({await element.TextContentAsync()}): {result}");
        await Expect(element).ToBeInViewportAsync(new() { Ratio = 0.99f });
    }
}
