using AdminPortal.App.Data;
using AdminPortal.App.Features.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

public class AuditBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task AuditPage_CustomerAdmin_SeesTheirTenantsEntriesAndFiltersThem()
    {
        var page = await server.SignInAsync("Customer admin · Fabrikam");
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
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
    public async Task AuditPage_HostileAndHugeEntries_ShowNamesLinksAndDiffsAsText()
    {
        const string hostile = "<img src=x onerror=\"window.__pwned=1\">";
        long userId = 0;
        await server.QueryAsync(async db =>
        {
            long fabrikam = await db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
            userId = await db.Users.Where(u => u.CustomerId == fabrikam).OrderBy(u => u.Email).Select(u => u.Id).FirstAsync();
            var at = DateTime.UtcNow.AddMinutes(5);
            db.AuditLog.AddRange(
                new AuditEntry { At = at, Actor = "user-sync", CustomerId = fabrikam, EntityType = "User", EntityId = userId, EntityLabel = hostile, Action = "updated",
                    Changes = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object> { [hostile] = new { old = hostile, @new = "<b>bold</b>" } }) },
                new AuditEntry { At = at.AddSeconds(-1), Actor = "user-sync", CustomerId = fabrikam, EntityType = "User", EntityId = userId, Action = "updated",
                    Changes = System.Text.Json.JsonSerializer.Serialize(new { last_sync_error = new { old = (string?)null, @new = new string('y', 5 * 1024 * 1024) } }) });
            return await db.SaveChangesAsync();
        });

        var page = await server.SignInAsync("Customer admin · Fabrikam");
        await page.GotoAsync(server.BaseUrl + "/audit");
        var rows = page.Locator("[data-audit-id]");
        await Expect(rows.First).ToBeVisibleAsync();

        // The hostile name and change are text: no element came of them, and the name links to the user.
        var first = rows.First;
        await Expect(first.Locator("td.audit-entity a")).ToHaveTextAsync(hostile);
        await Expect(first.Locator("td.audit-entity a")).ToHaveAttributeAsync("href", $"/users/{userId}");
        await Expect(first.Locator(".audit-changes li")).ToHaveTextAsync($"{hostile}: {hostile} → <b>bold</b>");
        await Expect(first.Locator("td").Nth(1)).ToHaveTextAsync("System (user-sync)");
        Assert.Equal(0, await page.Locator("[data-audit-id] img, [data-audit-id] b").CountAsync());
        Assert.False(await page.EvaluateAsync<bool>("() => window.__pwned === 1"));

        // The 5 MB value is cut to a line; the page stays light.
        var huge = rows.Nth(1).Locator(".audit-changes li");
        await Expect(huge).ToContainTextAsync("more characters)");
        Assert.True((await huge.InnerTextAsync()).Length < 400);
        Assert.True(await page.EvaluateAsync<int>("() => document.documentElement.outerHTML.length") < 1_000_000);

        // Seeded entries read by name, not id; people and jobs in one format.
        var entities = await page.Locator("[data-audit-id] td.audit-entity").AllInnerTextsAsync();
        Assert.DoesNotContain(entities, e => System.Text.RegularExpressions.Regex.IsMatch(e, @"^\d+$"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("audit-readable.png"), FullPage = true });

        await first.Locator("td.audit-entity a").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/users/{userId}$"));
        var history = page.GetByRole(AriaRole.Region, new() { Name = "History" });
        await Expect(history.Locator(".audit-changes").First).ToBeVisibleAsync();
        Assert.DoesNotContain("{\"", await history.InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("user-history.png"), FullPage = true });
        await page.CloseAsync();
    }

    /// <summary>
    /// Identity links and sessions by name (issue 15 item 7): a link made through the real save path reads
    /// "user ↔ provider" with the hostile user name as text and a link to the user; a gone session reads "(deleted)".
    /// </summary>
    [Fact]
    public async Task AuditPage_IdentityLinksAndSessions_ShowNamesAsText_NotIds()
    {
        const string hostile = "<img src=x onerror=\"window.__pwned=2\">";
        var (userId, mappingId) = await server.QueryAsync(async db =>
        {
            long fabrikam = await db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
            long site = await db.Sites.Where(s => s.CustomerId == fabrikam).OrderBy(s => s.Id).Select(s => s.Id).FirstAsync();
            var user = new App.Features.Users.User { Id = TimeOrderedId.Next(), CustomerId = fabrikam, SiteId = site, Email = "linked@fabrikam.example", DisplayName = hostile, IsActive = true, CreatedAt = DateTime.UtcNow };
            var idp = new App.Features.IdentityProviders.CiamSystem { Id = TimeOrderedId.Next(), CustomerId = fabrikam, Name = "Fabrikam Okta", Authority = "https://okta.fabrikam.example", ClientId = "f" };
            db.AddRange(user, idp);
            await db.SaveChangesAsync();
            var mapping = new App.Features.IdentityProviders.UserCiamMapping { UserId = user.Id, CustomerId = fabrikam, CiamSystemId = idp.Id, ExternalSubject = "linked-1" };
            db.UserCiamMappings.Add(mapping);
            db.AuditLog.Add(new AuditEntry { At = DateTime.UtcNow, Actor = "user-sync", CustomerId = fabrikam, EntityType = "PortalSession", EntityId = 4343, Action = "updated" });
            await db.SaveChangesAsync();
            return (user.Id, mapping.Id);
        });

        var page = await server.SignInAsync("Customer admin · Fabrikam");
        await page.GotoAsync(server.BaseUrl + "/audit?entity=UserCiamMapping");
        var link = page.Locator($"[data-audit-id] td.audit-entity a[href='/users/{userId}']");
        await Expect(link.First).ToHaveTextAsync($"{hostile} ↔ Fabrikam Okta");
        Assert.Equal(0, await page.Locator("[data-audit-id] img").CountAsync());
        Assert.False(await page.EvaluateAsync<bool>("() => window.__pwned === 2"));
        Assert.DoesNotContain(await page.Locator("[data-audit-id] td.audit-entity").AllInnerTextsAsync(), e => e.Contains(mappingId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) || e.Contains('#'));

        await page.GotoAsync(server.BaseUrl + "/audit?entity=PortalSession");
        await Expect(page.Locator("[data-audit-id] td.audit-entity").Filter(new() { HasText = "Session (deleted)" }).First).ToBeVisibleAsync();
        Assert.DoesNotContain(await page.Locator("[data-audit-id] td.audit-entity").AllInnerTextsAsync(), e => e.Contains('#'));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = PortalServer.ScreenshotPath("audit-links-sessions.png"), FullPage = true });
        await page.CloseAsync();
    }

    [Fact]
    public async Task AuditPage_Editor_IsNotAuthorized()
    {
        var page = await server.SignInAsync("Editor · Fabrikam");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true })).ToHaveCountAsync(0);

        await page.GotoAsync(server.BaseUrl + "/audit");

        await Expect(page.GetByText("You are not authorized to see that page.")).ToBeVisibleAsync();
        await page.CloseAsync();
    }
}
