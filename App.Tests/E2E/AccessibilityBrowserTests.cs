using System.Text;
using AdminPortal.App.Tenancy;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// axe-core (WCAG 2.1 A and AA rules) over every page each persona can open, in light and dark mode, plus the phone
/// size for the main pages: no critical and no serious violation. One server, one signed-in page per persona.
/// </summary>
public class AccessibilityBrowserTests(PortalServer server, ITestOutputHelper output) : IClassFixture<PortalServer>
{
    private static readonly AxeRunOptions Wcag21 = new()
    {
        RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        // Experimental in axe, so off by default: an accessible name that does not contain the visible text
        // (WCAG 2.5.3, label in name) fails speech users who say what they see.
        Rules = new Dictionary<string, RuleOptions> { ["label-content-name-mismatch"] = new RuleOptions { Enabled = true } },
        ResultTypes = [ResultType.Violations],
    };

    private sealed record SampleIds(long UserWithIdentities, long PostWithContent, long? ContosoProvider);

    private async Task<SampleIds> SamplesAsync()
    {
        return await server.QueryAsync(async db =>
        {
            var editor = await db.Users.Where(u => u.PortalRole == PortalRole.Editor && u.Customer!.Slug == "contoso").Select(u => new { u.CustomerId, u.SiteId }).FirstAsync();
            long user = await db.Users.Where(u => u.CustomerId == editor.CustomerId && db.UserCiamMappings.Any(m => m.UserId == u.Id))
                .OrderByDescending(u => db.UserCiamMappings.Count(m => m.UserId == u.Id)).Select(u => u.Id).FirstAsync();
            long post = await db.Posts.Where(p => p.SiteId == editor.SiteId && p.DeletedAt == null && p.Content.Length > 40).Select(p => p.Id).FirstAsync();
            long? provider = await db.CiamSystems.Where(c => c.CustomerId == editor.CustomerId).Select(c => (long?)c.Id).FirstOrDefaultAsync();
            return new SampleIds(user, post, provider);
        });
    }

    /// <summary>The pages each persona can open (their navigation, plus the detail pages behind it).</summary>
    private static List<string> PagesFor(string persona, SampleIds ids)
    {
        bool platform = persona.StartsWith("Platform admin", StringComparison.Ordinal);
        bool admin = platform || persona.StartsWith("Customer admin", StringComparison.Ordinal);
        bool support = persona.StartsWith("Support", StringComparison.Ordinal);
        bool editor = persona.StartsWith("Editor", StringComparison.Ordinal);
        var pages = new List<string> { "/", "/account/sessions" };
        if (platform)
        {
            pages.AddRange(["/customers", "/schema"]);
        }

        if (admin)
        {
            pages.AddRange(["/sites", "/customers/domains", "/identity-providers", "/identity-providers/new", "/audit", "/users/invite"]);
            if (ids.ContosoProvider is { } provider)
            {
                pages.Add($"/identity-providers/{provider}");
            }
        }

        if (admin || support)
        {
            pages.AddRange(["/users", $"/users/{ids.UserWithIdentities}", "/users/migration"]);
        }

        if (admin || editor)
        {
            pages.AddRange(["/posts", "/posts/new", $"/posts/{ids.PostWithContent}"]);
        }

        return pages;
    }

    [Theory]
    [InlineData("Platform admin")]
    [InlineData("Customer admin · Contoso")]
    [InlineData("Support · Contoso")]
    [InlineData("Editor · Contoso")]
    public async Task EveryPage_LightAndDark_HasNoCriticalOrSeriousViolations(string persona)
    {
        var ids = await SamplesAsync();
        var page = await server.SignInAsync(persona);
        var found = new List<string>();

        foreach (bool dark in new[] { false, true })
        {
            await SetDarkModeAsync(page, dark);
            foreach (string path in PagesFor(persona, ids))
            {
                await OpenAsync(page, path, dark);
                found.AddRange(await AxeAsync(page, $"{persona} {(dark ? "dark" : "light")} {path}"));
            }

            if (!persona.StartsWith("Editor", StringComparison.Ordinal))
            {
                // An open confirmation dialog, over a user with identities.
                await OpenAsync(page, $"/users/{ids.UserWithIdentities}", dark);
                await page.GetByRole(AriaRole.Button, new() { Name = "Revoke tokens" }).ClickAsync();
                var dialog = page.GetByRole(AriaRole.Dialog);
                await Expect(dialog).ToBeVisibleAsync();
                await page.WaitForTimeoutAsync(400);
                found.AddRange(await AxeAsync(page, $"{persona} {(dark ? "dark" : "light")} revoke-tokens dialog"));
                await page.Keyboard.PressAsync("Escape");
                await Expect(dialog).ToHaveCountAsync(0);
            }
        }

        await page.CloseAsync();
        Report(found);
    }

    [Fact]
    public async Task MainPages_PhoneWidth_HaveNoCriticalOrSeriousViolations()
    {
        var ids = await SamplesAsync();
        var page = await server.SignInAsync("Platform admin", width: 390, height: 844);
        var found = new List<string>();
        foreach (bool dark in new[] { false, true })
        {
            await SetDarkModeAsync(page, dark);
            foreach (string path in new[] { "/", "/users", $"/users/{ids.UserWithIdentities}", "/posts", $"/posts/{ids.PostWithContent}", "/posts/new" })
            {
                await OpenAsync(page, path, dark);
                found.AddRange(await AxeAsync(page, $"phone {(dark ? "dark" : "light")} {path}"));
            }
        }

        await page.CloseAsync();
        Report(found);
    }

    [Fact]
    public async Task SignInPages_Anonymous_HaveNoCriticalOrSeriousViolations()
    {
        var page = await server.Browser.NewPageAsync();
        var found = new List<string>();
        await page.GotoAsync(server.BaseUrl + "/signin");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        found.AddRange(await AxeAsync(page, "sign-in page"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Development sign-in" })).ToBeVisibleAsync();
        found.AddRange(await AxeAsync(page, "development sign-in page"));
        await page.CloseAsync();
        Report(found);
    }

    private static async Task SetDarkModeAsync(IPage page, bool dark)
    {
        await page.EvaluateAsync("dark => localStorage.setItem('adminportal.dark-mode', dark ? 'true' : 'false')", dark);
    }

    private async Task OpenAsync(IPage page, string path, bool dark)
    {
        await page.GotoAsync(server.BaseUrl + path);
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 }).First).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await page.Locator($"[data-theme={(dark ? "dark" : "light")}]").WaitForAsync();
        // Loading bars gone (some pages keep a small one for background work: give up waiting after a while), and
        // the theme's colour transitions settled.
        for (int wait = 0; wait < 20 && await page.Locator(".mud-progress-linear.mud-progress-indeterminate").CountAsync() > 0; wait++)
        {
            await page.WaitForTimeoutAsync(100);
        }

        await page.WaitForTimeoutAsync(dark ? 400 : 100);
    }

    private async Task<List<string>> AxeAsync(IPage page, string state)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        AxeResult result = await page.RunAxe(Wcag21);
        output.WriteLine($"[{state}] axe ran in {clock.ElapsedMilliseconds} ms at {DateTime.UtcNow:HH:mm:ss}");
        var found = new List<string>();
        foreach (var violation in result.Violations)
        {
            if (violation.Impact is not ("critical" or "serious"))
            {
                output.WriteLine($"[{state}] ({violation.Impact}) {violation.Id}: {violation.Help}");
                continue;
            }

            foreach (var node in violation.Nodes)
            {
                found.Add($"[{state}] {violation.Impact} {violation.Id} at {node.Target}: {Summary(node)}");
            }
        }

        return found;
    }

    private static string Summary(AxeResultNode node) =>
        string.Join("; ", (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []).Select(check => check.Message)).ReplaceLineEndings(" ");

    private void Report(List<string> found)
    {
        var text = new StringBuilder();
        foreach (string line in found)
        {
            output.WriteLine(line);
            text.AppendLine(line);
        }

        Assert.True(found.Count == 0, $"{found.Count} critical or serious axe violations:\n{text}");
    }
}
