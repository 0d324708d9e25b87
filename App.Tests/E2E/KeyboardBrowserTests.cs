using System.Globalization;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// The portal with the keyboard only: after signing in, these flows press Tab, Shift+Tab, Enter, Space and Escape and
/// type text, and never click. They check what the person sees (focus included) and what the database holds.
/// </summary>
public class KeyboardBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task Support_FiltersUsersOpensOneAndLocksThem_WithTheKeyboardOnly()
    {
        var target = await server.QueryAsync(db => db.Users
            .Where(u => u.Customer!.Slug == "contoso" && u.PortalRole == null && u.IsActive && !u.IsLocked && u.InvitedAt == null)
            .OrderBy(u => u.Id).Select(u => new { u.Id, u.DisplayName }).FirstAsync());
        var page = await server.SignInAsync("Support · Contoso");

        // The skip link is the first stop, and it moves focus to the main content without leaving the page.
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to main content", await FocusedTextAsync(page));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Skip to main content" })).ToBeInViewportAsync();
        string dashboard = page.Url;
        await page.Keyboard.PressAsync("Enter");
        Assert.Equal("main-content", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        Assert.Equal(dashboard, page.Url);

        await TabToAsync(page, "el => el.tagName === 'A' && el.textContent.trim() === 'Users'", "the Users link");
        await page.Keyboard.PressAsync("Enter");
        // After a navigation inside the portal the new page's heading takes the focus (FocusHeadingOnNavigate): Tab on from there.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeFocusedAsync();

        await TabToAsync(page, "el => el.tagName === 'INPUT' && el.closest('.mud-input-control')?.textContent.includes('Search name or email')", "the search field");
        await page.Keyboard.TypeAsync(target.DisplayName);
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("[?&]q="));
        await Expect(page.Locator($"[data-user-id='{target.Id}']")).ToBeVisibleAsync();

        await TabToAsync(page, $"el => el.tagName === 'A' && el.getAttribute('href') === '/users/{target.Id}'", "the user's link");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = target.DisplayName, Level = 1 })).ToBeVisibleAsync();

        await TabToAsync(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Lock'", "the Lock button");
        await AssertFocusRingAsync(page);

        // Escape cancels, and focus is back on Lock.
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Lock this user?");
        await WaitForFocusAsync(page, "el => el.dataset.confirm === 'cancel'", "Cancel, the safe choice");
        Assert.Equal("Cancel", await FocusedTextAsync(page));
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await WaitForFocusAsync(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Lock'", "the Lock button after Escape");
        Assert.False(await server.QueryAsync(db => db.Users.Where(u => u.Id == target.Id).Select(u => u.IsLocked).SingleAsync()));

        // Space opens it again; Enter on the focused Cancel would also change nothing, so move to the destructive Lock.
        await page.Keyboard.PressAsync("Space");
        await WaitForFocusAsync(page, "el => el.dataset.confirm === 'cancel'", "Cancel");
        // Tab (a few presses at most: the dialog's focus trap has a sentinel) to the destructive Lock.
        await TabToAsync(page, "el => el.dataset.confirm === 'confirm'", "the dialog's Lock button", max: 4);
        Assert.Equal("Lock", await FocusedTextAsync(page));
        Assert.Equal("true", await page.EvaluateAsync<string>("() => document.activeElement.dataset.destructive"));
        Assert.Contains("mud-button-filled-error", await page.EvaluateAsync<string>("() => document.activeElement.className"));
        await page.Keyboard.PressAsync("Enter");

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("user-state")).ToHaveTextAsync("Locked");
        Assert.True(await server.QueryAsync(db => db.Users.Where(u => u.Id == target.Id).Select(u => u.IsLocked).SingleAsync()));
        // Focus returns to the trigger, which now offers the opposite action.
        await WaitForFocusAsync(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Unlock'", "the Unlock button after locking");
        await page.CloseAsync();
    }

    [Fact]
    public async Task Editor_WritesAndPublishesAPost_WithTheKeyboardOnly()
    {
        string title = "Keyboard notes " + Guid.NewGuid().ToString("N")[..6];
        var page = await server.SignInAsync("Editor · Contoso");

        await TabToAsync(page, "el => el.tagName === 'A' && el.textContent.trim() === 'Posts'", "the Posts link");
        await page.Keyboard.PressAsync("Enter");
        // After a navigation inside the portal the new page's heading takes the focus (FocusHeadingOnNavigate): Tab on from there.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Posts", Level = 1 })).ToBeFocusedAsync();
        await TabToAsync(page, "el => el.tagName === 'A' && el.textContent.trim() === 'New post'", "the New post link");
        await page.Keyboard.PressAsync("Enter");
        // After a navigation inside the portal the new page's heading takes the focus (FocusHeadingOnNavigate): Tab on from there.
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "New post", Level = 1 })).ToBeFocusedAsync();

        await TabToAsync(page, "el => el.tagName === 'INPUT' && el.closest('.mud-input-control')?.querySelector('label')?.textContent.trim() === 'Title'", "the Title field");
        await page.Keyboard.TypeAsync(title);
        await TabToAsync(page, "el => el.tagName === 'TEXTAREA'", "the Content field");
        await page.Keyboard.TypeAsync("Written **without** a mouse.");
        await Expect(page.GetByTestId("preview").Locator("strong")).ToHaveTextAsync("without", new() { Timeout = 15_000 });

        await TabToAsync(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Save draft'", "Save draft");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Draft");

        await TabToAsync(page, "el => el.tagName === 'BUTTON' && el.textContent.trim() === 'Publish now'", "Publish now");
        await AssertFocusRingAsync(page);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("post-status")).ToHaveTextAsync("Published");

        var post = await server.QueryAsync(db => db.Posts.SingleAsync(p => p.Title == title));
        Assert.Equal(PostStatus.Published, post.Status);
        Assert.Equal("Written **without** a mouse.", post.Content);
        Assert.NotNull(post.PublishedAt);
        await page.CloseAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FocusRing_OnButtonsLinksAndTheAppBar_HasThreeToOneContrast(bool dark)
    {
        var page = await server.SignInAsync("Customer admin · Contoso");
        await page.EvaluateAsync("dark => localStorage.setItem('adminportal.dark-mode', dark ? 'true' : 'false')", dark);
        await page.GotoAsync(server.BaseUrl + "/users");
        await page.Locator("[data-interactive=true]").WaitForAsync();
        await page.Locator($"[data-theme={(dark ? "dark" : "light")}]").WaitForAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users", Level = 1 })).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(500);

        await TabToAsync(page, "el => el.getAttribute('aria-label') === 'Toggle navigation'", "the app bar's menu button");
        await AssertFocusRingAsync(page);
        await TabToAsync(page, "el => el.tagName === 'A' && el.textContent.trim() === 'Users'", "a navigation link");
        await AssertFocusRingAsync(page);
        await TabToAsync(page, "el => el.tagName === 'A' && el.textContent.trim() === 'Invite a person'", "a filled button");
        await AssertFocusRingAsync(page);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath($"focus-ring-{(dark ? "dark" : "light")}.png") });
        await page.CloseAsync();
    }

    [Fact]
    public async Task AppBar_PhoneWidth_CollapsesIntoAMenuThatKeepsSignOutReachable()
    {
        var page = await server.SignInAsync("Platform admin", width: 390, height: 844);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();

        // Nothing in the app bar reaches past the screen's right edge.
        double overflow = await page.EvaluateAsync<double>(
            "() => Math.max(0, ...[...document.querySelectorAll('.mud-appbar *')].filter(e => e.getClientRects().length).map(e => e.getBoundingClientRect().right)) - window.innerWidth");
        Assert.True(overflow <= 0, $"the app bar overflows the 390 px screen by {overflow} px");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways");

        var menu = page.GetByRole(AriaRole.Button, new() { Name = "Account menu" });
        await Expect(menu).ToBeInViewportAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("appbar-phone.png") });

        // The menu opens from the keyboard; Sign out is a real button in it, on screen.
        await TabToAsync(page, "el => el.getAttribute('aria-label') === 'Account menu' || el.closest('[aria-label=\"Account menu\"]') !== null", "the account menu");
        await page.Keyboard.PressAsync("Enter");
        var signOut = page.GetByRole(AriaRole.Menuitem, new() { Name = "Sign out" });
        await Expect(signOut).ToBeInViewportAsync(new() { Ratio = 1 });
        await Expect(page.GetByRole(AriaRole.Menuitem, new() { Name = "My sessions" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("appbar-phone-menu.png") });
        await signOut.FocusAsync();
        await page.Keyboard.PressAsync("Enter");

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin"));
        await page.CloseAsync();
    }

    private static async Task<string> FocusedTextAsync(IPage page) =>
        await page.EvaluateAsync<string>("() => (document.activeElement?.textContent ?? '').trim()");

    /// <summary>Presses Tab until the focused element matches; fails if it never does.</summary>
    private static async Task TabToAsync(IPage page, string predicate, string what, int max = 120)
    {
        for (int i = 0; i < max; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>($"() => {{ const el = document.activeElement; return !!el && !!(({predicate})(el)); }}"))
            {
                return;
            }
        }

        Assert.Fail($"{max} presses of Tab never reached {what}; focus is on <{await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 200)")}>");
    }

    private static async Task WaitForFocusAsync(IPage page, string predicate, string what)
    {
        try
        {
            await page.WaitForFunctionAsync($"() => {{ const el = document.activeElement; return !!el && !!(({predicate})(el)); }}", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"focus never reached {what}; it is on <{await page.EvaluateAsync<string>("() => document.activeElement?.outerHTML.slice(0, 200)")}>");
        }
    }

    /// <summary>
    /// The focused element shows a ring (WCAG 2.4.7) whose colour has at least 3:1 contrast (WCAG 1.4.11) against the
    /// background behind it: the first opaque background among its ancestors.
    /// </summary>
    private static async Task AssertFocusRingAsync(IPage page)
    {
        var ring = await page.EvaluateAsync<string[]>("""
            () => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                let node = el.parentElement, background = 'rgb(255, 255, 255)';
                while (node) {
                    const b = getComputedStyle(node).backgroundColor;
                    if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent' && !/rgba\(.*, 0(\.\d+)?\)$/.test(b)) { background = b; break; }
                    node = node.parentElement;
                }
                return [style.outlineStyle, style.outlineWidth, style.outlineColor, background, el.outerHTML.slice(0, 120)];
            }
            """);
        Assert.True(ring[0] is not "none", $"no focus ring on {ring[4]}");
        Assert.True(double.Parse(ring[1].Replace("px", ""), CultureInfo.InvariantCulture) >= 2, $"a focus ring of {ring[1]} on {ring[4]}");
        double contrast = Contrast(ring[2], ring[3]);
        Assert.True(contrast >= 3, $"the focus ring {ring[2]} on {ring[3]} has {contrast:0.00}:1 on {ring[4]}");
    }

    private static double Contrast(string a, string b)
    {
        static double Luminance(string rgb)
        {
            var parts = rgb[(rgb.IndexOf('(') + 1)..rgb.IndexOf(')')].Split(',').Select(p => double.Parse(p.Trim(), CultureInfo.InvariantCulture)).ToArray();
            double Channel(double c) => (c /= 255) <= 0.03928 ? c / 12.92 : Math.Pow((c + 0.055) / 1.055, 2.4);
            return 0.2126 * Channel(parts[0]) + 0.7152 * Channel(parts[1]) + 0.0722 * Channel(parts[2]);
        }

        double la = Luminance(a), lb = Luminance(b);
        return (Math.Max(la, lb) + 0.05) / (Math.Min(la, lb) + 0.05);
    }
}
