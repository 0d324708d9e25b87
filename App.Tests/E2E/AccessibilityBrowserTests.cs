using System.Text;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Jobs;
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

    private sealed record SampleJobs(long Running, long Cancelled);

    /// <summary>
    /// A running job (claimed by an instance that is not this one, with a lease that outlasts the test, so no worker
    /// touches it) and a cancelled one, on the Contoso editor's site so that every Contoso persona sees both. Once per server.
    /// </summary>
    private async Task<SampleJobs> JobsAsync()
    {
        return await server.QueryAsync(async db =>
        {
            var existing = await db.Jobs.Where(j => j.StartedBy == "a11y-seed").OrderBy(j => j.Id).Select(j => j.Id).ToListAsync();
            if (existing.Count == 2)
            {
                return new SampleJobs(existing[0], existing[1]);
            }

            var editor = await db.Users.Where(u => u.PortalRole == PortalRole.Editor && u.Customer!.Slug == "contoso").Select(u => new { u.CustomerId, u.SiteId }).FirstAsync();
            var now = DateTime.UtcNow;
            var running = new BulkJob
            {
                Id = TimeOrderedId.Next(), CustomerId = editor.CustomerId, SiteId = editor.SiteId, Kind = JobKind.Users, Action = "Lock", Filter = "{}",
                Total = 1_001, Done = 250, State = JobState.Running, StartedBy = "a11y-seed", StartedByRole = PortalRoles.CustomerAdmin,
                ClaimedBy = "another-instance", LeaseUntil = now.AddDays(1), CreatedAt = now.AddMinutes(-3), StartedAt = now.AddMinutes(-3),
            };
            var cancelled = new BulkJob
            {
                Id = TimeOrderedId.Next(), CustomerId = editor.CustomerId, SiteId = editor.SiteId, Kind = JobKind.Posts, Action = "Publish", Filter = "{}",
                Total = 40, Done = 12, State = JobState.Cancelled, StartedBy = "a11y-seed", StartedByRole = PortalRoles.CustomerAdmin,
                CancelRequestedBy = "a11y-seed", CreatedAt = now.AddHours(-2), StartedAt = now.AddHours(-2), FinishedAt = now.AddHours(-2).AddMinutes(1),
            };
            db.Jobs.AddRange(running, cancelled);
            await db.SaveChangesAsync();
            return new SampleJobs(running.Id, cancelled.Id);
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

    /// <summary>
    /// The Jobs page for every role that sees it: the list with a running and a cancelled job, one job by id, a made-up id
    /// (not found), and another customer's admin, whose list is empty and for whom the Contoso job is not found. Admins
    /// also get the audit log narrowed by its zone-labelled date filter.
    /// </summary>
    [Theory]
    [InlineData("Platform admin")]
    [InlineData("Customer admin · Contoso")]
    [InlineData("Support · Contoso")]
    [InlineData("Editor · Contoso")]
    [InlineData("Customer admin · Fabrikam")]
    public async Task JobsAndAuditFilterStates_LightAndDark_HaveNoCriticalOrSeriousViolations(string persona)
    {
        var jobs = await JobsAsync();
        var page = await server.SignInAsync(persona);
        var found = new List<string>();
        bool admin = persona.StartsWith("Platform admin", StringComparison.Ordinal) || persona.StartsWith("Customer admin", StringComparison.Ordinal);
        bool fabrikam = persona.EndsWith("Fabrikam", StringComparison.Ordinal);
        string shot = persona.Split(' ')[0].ToLowerInvariant();
        foreach (bool dark in new[] { false, true })
        {
            string mode = dark ? "dark" : "light";
            await SetDarkModeAsync(page, dark);
            await OpenAsync(page, "/jobs", dark);
            await Expect(page.GetByTestId(fabrikam ? "jobs-empty" : "job-row").First).ToBeVisibleAsync();
            found.AddRange(await AxeAsync(page, $"{persona} {mode} /jobs"));
            await ShotAsync(page, $"a11y-jobs-{(fabrikam ? "empty" : shot)}-{mode}.png");

            await OpenAsync(page, $"/jobs/{jobs.Running}", dark);
            await Expect(page.GetByTestId(fabrikam ? "job-not-found" : "job-row").First).ToBeVisibleAsync();
            found.AddRange(await AxeAsync(page, $"{persona} {mode} /jobs/running"));
            if (!fabrikam)
            {
                await OpenAsync(page, $"/jobs/{jobs.Cancelled}", dark);
                await Expect(page.GetByTestId("job-row")).ToContainTextAsync("Cancelled");
                found.AddRange(await AxeAsync(page, $"{persona} {mode} /jobs/cancelled"));
                await OpenAsync(page, "/jobs/9223372036854775807", dark);
                await Expect(page.GetByTestId("job-not-found")).ToBeVisibleAsync();
                found.AddRange(await AxeAsync(page, $"{persona} {mode} /jobs/not-found"));
                if (shot == "platform")
                {
                    await ShotAsync(page, $"a11y-job-not-found-{mode}.png");
                }
            }

            if (admin)
            {
                await OpenAsync(page, "/audit?from=2020-01-01&to=2030-12-31", dark);
                await Expect(page.GetByLabel(new System.Text.RegularExpressions.Regex("^From \\(")).First).ToHaveValueAsync("2020-01-01");
                found.AddRange(await AxeAsync(page, $"{persona} {mode} /audit with dates"));
                await ShotAsync(page, $"a11y-audit-dates-{shot}-{mode}.png");
            }
        }

        await page.CloseAsync();
        Report(found);
    }

    [Fact]
    public async Task MainPages_PhoneWidth_HaveNoCriticalOrSeriousViolations()
    {
        var ids = await SamplesAsync();
        var jobs = await JobsAsync();
        var page = await server.SignInAsync("Platform admin", width: 390, height: 844);
        var found = new List<string>();
        // The Sites and Customers grids stack their rows on a phone; the Jobs page and the audit filters wrap.
        string[] stacked = ["/sites", "/customers", "/jobs", $"/jobs/{jobs.Running}", "/audit?from=2020-01-01&to=2030-12-31"];
        foreach (bool dark in new[] { false, true })
        {
            string mode = dark ? "dark" : "light";
            await SetDarkModeAsync(page, dark);
            foreach (string path in new[] { "/", "/users", $"/users/{ids.UserWithIdentities}", "/posts", $"/posts/{ids.PostWithContent}", "/posts/new" }.Concat(stacked))
            {
                await OpenAsync(page, path, dark);
                found.AddRange(await AxeAsync(page, $"phone {mode} {path}"));
                if (stacked.Contains(path))
                {
                    string name = path.TrimStart('/').Split('?')[0].Replace(jobs.Running.ToString(System.Globalization.CultureInfo.InvariantCulture), "running").Replace('/', '-');
                    await ShotAsync(page, $"a11y-phone-{name}-{mode}.png", fullPage: true);
                }
            }

            // The tenant switch dialog, which stays open after a customer is chosen so that a site can be.
            await OpenAsync(page, "/", dark);
            await page.GetByRole(AriaRole.Button, new() { Name = "Account menu" }).ClickAsync();
            await page.GetByRole(AriaRole.Menuitem, new() { Name = "Switch customer" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Customer").First.ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "Contoso Media" }).ClickAsync();
            await Expect(dialog.GetByLabel("Site").First).ToBeVisibleAsync();
            await page.WaitForTimeoutAsync(400);
            found.AddRange(await AxeAsync(page, $"phone {mode} tenant switch dialog, customer chosen"));
            await ShotAsync(page, $"a11y-phone-tenant-switch-{mode}.png");
            await page.Keyboard.PressAsync("Escape");
            await Expect(dialog).ToHaveCountAsync(0);
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

    private static async Task ShotAsync(IPage page, string name, bool fullPage = false) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath(name), FullPage = fullPage });

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
