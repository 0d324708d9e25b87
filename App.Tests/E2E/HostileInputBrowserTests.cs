using System.Collections.Concurrent;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Customers;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Sites;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Nothing a tenant stores ever runs as script. Every text column a tenant can write holds a hostile string; every page
/// is opened as every role; no script may run (no <c>window.__xss</c>, no dialog, no page error, no request for the
/// payloads' <c>src=x</c>), and the hostile text is on screen as text.
/// </summary>
public class HostileInputBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    // One payload per column kind, each with a readable prefix so the test can find it on screen.
    private const string Img = "<img src=x onerror=window.__xss=1>";
    private const string Script = "<script>window.__xss=1</script>";
    private const string Svg = "\"><svg onload=window.__xss=1>";
    private const string JavaScriptUrl = "javascript:window.__xss=1";
    private const string Template = "{{constructor.constructor('window.__xss=1')()}} @(window.__xss=1) =cmd|' /C calc'!A0";

    private const string CustomerName = "Customer " + Svg + Img;
    private const string SiteName = "Site " + Img;
    private const string OtherSiteName = "Site " + Script + Template;
    private const string UserName = "User " + Img + Script;
    private const string AdminName = "Admin " + Svg + Img;
    private const string PlatformName = "Platform " + Img;
    private const string UserEmail = "\"><svg/onload=window.__xss=1>@contoso.example";
    private const string SyncError = "Error " + Img + Template;
    private const string Subject = "subject " + Svg + Script;
    private const string PostTitle = "Post " + Img + Script + Template;
    private const string ProviderName = "Provider " + Svg + Img;
    private const string BrokenProviderName = "Broken " + Script + Template;

    private const string PostContent = $$"""
        # Release {{Img}}

        Read [this]({{JavaScriptUrl}}) and [that](https://example.com/notes).

        ![tracking pixel](https://tracker.example/pixel.png)

        {{Script}} {{Svg}} {{Template}}

        {{Features.Posts.PostMarkdownTests.PhishingMarkdown}}
        """;

    private sealed record Seeded(long Customer, long Site, long User, long Post, long Provider, long BrokenProvider);

    private async Task<Seeded> SeedAsync()
    {
        // The sync worker updates the seeded users right after start-up; a save that races it is tried again.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await TrySeedAsync();
            }
            catch (DbUpdateConcurrencyException) when (attempt < 10)
            {
                await Task.Delay(300);
            }
        }
    }

    private async Task<Seeded> TrySeedAsync()
    {
        var seeded = await server.QueryAsync(async db =>
        {
            var contoso = await db.Customers.SingleAsync(c => c.Slug == "contoso");
            var news = await db.Sites.Where(s => s.CustomerId == contoso.Id).OrderBy(s => s.CreatedAt).FirstAsync();
            var now = DateTime.UtcNow;

            var customer = new Customer { Id = TimeOrderedId.Next(), Name = CustomerName, Slug = "hostile-customer", CreatedAt = now };
            db.Customers.Add(customer);
            db.Sites.Add(new Site { Id = TimeOrderedId.Next(), CustomerId = customer.Id, Name = OtherSiteName, Domain = "hostile.example", CreatedAt = now });
            var site = new Site { Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Name = SiteName, Domain = "xss.contoso.example", CreatedAt = now };
            db.Sites.Add(site);

            // Users of Contoso without a portal role: names, emails, sync errors, an identity's subject.
            var users = await db.Users.Where(u => u.CustomerId == contoso.Id && u.PortalRole == null).OrderBy(u => u.Id).Take(3).ToListAsync();
            users[0].DisplayName = UserName;
            users[0].Email = UserEmail;
            users[0].LastSyncError = SyncError;
            users[0].SyncStatus = SyncStatus.Failed;
            users[0].SiteId = site.Id;
            users[1].DisplayName = UserName + " 2";
            users[1].SiteId = site.Id;
            users[2].DisplayName = Template;

            // People who sign in: their names reach the app bar, the development sign-in page and the audit log.
            (await db.Users.SingleAsync(u => u.CustomerId == contoso.Id && u.PortalRole == PortalRole.CustomerAdmin)).DisplayName = AdminName;
            (await db.Users.SingleAsync(u => u.PortalRole == PortalRole.PlatformAdmin)).DisplayName = PlatformName;

            var provider = new CiamSystem
            {
                Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Name = ProviderName, ProviderType = CiamProviderType.Oidc,
                Authority = server.BaseUrl, ClientId = App.Auth.DevIdentityProvider.ClientId, IsEnabled = true, CreatedAt = now,
            };
            var broken = new CiamSystem
            {
                Id = TimeOrderedId.Next(), CustomerId = contoso.Id, Name = BrokenProviderName, ProviderType = CiamProviderType.Oidc,
                Authority = JavaScriptUrl, ClientId = Script, Scopes = "openid " + Svg, IsEnabled = true, CreatedAt = now,
            };
            db.CiamSystems.AddRange(provider, broken);
            db.UserCiamMappings.Add(new UserCiamMapping { Id = TimeOrderedId.Next(), UserId = users[0].Id, CustomerId = users[0].CustomerId, CiamSystemId = provider.Id, ExternalSubject = Subject, CreatedAt = now });

            var author = await db.Users.SingleAsync(u => u.CustomerId == contoso.Id && u.PortalRole == PortalRole.Editor);
            var post = new Post { Id = TimeOrderedId.Next(), SiteId = news.Id, AuthorId = author.Id, Title = PostTitle, Slug = "hostile-post", Content = PostContent, CreatedAt = now };
            db.Posts.Add(post);
            db.Posts.Add(new Post { Id = TimeOrderedId.Next(), SiteId = news.Id, AuthorId = author.Id, Title = PostTitle + " (trashed)", Slug = "hostile-trashed", Content = PostContent, CreatedAt = now, DeletedAt = now });
            await db.SaveChangesAsync();
            return new Seeded(customer.Id, site.Id, users[0].Id, post.Id, provider.Id, broken.Id);
        });

        // The providers take effect now, not at the next poll: the valid one is offered on the sign-in page.
        await server.Services.GetRequiredService<ProviderSchemes>().RefreshAsync();
        return seeded;
    }

    [Fact]
    public async Task EveryPage_AsEveryRole_ShowsHostileTextAsText_AndRunsNoScript()
    {
        var seeded = await SeedAsync();
        var problems = new ConcurrentQueue<string>();

        string[] everyRoute =
        [
            "/", "/customers", "/sites", "/users", $"/users/{seeded.User}", "/users/migration",
            $"/users?q={Uri.EscapeDataString("User <")}", "/posts", "/posts?tab=Trash", $"/posts/{seeded.Post}", "/posts/new",
            "/identity-providers", $"/identity-providers/{seeded.Provider}", $"/identity-providers/{seeded.BrokenProvider}", "/identity-providers/new",
            "/audit", "/schema", "/account/sessions", "/customers/domains", "/users/invite",
        ];

        // Anonymous pages first: the sign-in page lists the hostile provider, the development sign-in page the hostile people.
        var anonymous = await NewWatchedPageAsync("anonymous", problems);
        await anonymous.GotoAsync(server.BaseUrl + "/signin");
        await Expect(anonymous.GetByRole(AriaRole.Link, new() { Name = ProviderName })).ToBeVisibleAsync();
        await anonymous.GotoAsync(server.BaseUrl + "/signin?reason=" + Uri.EscapeDataString(Img));
        await anonymous.GotoAsync(server.BaseUrl + "/no-access?reason=" + Uri.EscapeDataString(Script));
        await anonymous.GotoAsync(server.BaseUrl + "/signin");
        await anonymous.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await Expect(anonymous.GetByText(AdminName, new() { Exact = true })).ToBeVisibleAsync();
        await AssertNoScriptRanAsync(anonymous, "/dev-idp/login", problems);
        await anonymous.CloseAsync();

        foreach (string persona in new[] { "Platform admin", "Customer admin · Contoso", "Support · Contoso", "Editor · Contoso" })
        {
            var page = await server.SignInAsync(persona);
            Watch(page, persona, problems);
            foreach (string route in everyRoute)
            {
                try
                {
                    await page.GotoAsync(server.BaseUrl + route);
                    // A page the role may not see is the static "no access" page: no circuit, but the same checks.
                    await page.Locator("[data-interactive=true], [data-testid=no-access-reason]").First.WaitForAsync(new() { Timeout = 30_000 });
                    await SettleAsync(page);
                    await AssertNoScriptRanAsync(page, $"{route} as {persona}", problems);
                    await ExpectHostileTextAsync(page, persona, route, seeded);
                }
                catch (Exception exception) when (exception is PlaywrightException or TimeoutException)
                {
                    await page.ScreenshotAsync(new() { Path = PortalServer.ScreenshotPath("hostile-failure.png"), FullPage = true });
                    throw new Xunit.Sdk.XunitException($"{route} as {persona}: {exception.Message}");
                }

                await AssertNoScriptRanAsync(page, $"{route} as {persona}", problems);
            }

            await page.CloseAsync();
        }

        Assert.Empty(problems);
    }

    /// <summary>Where a role should see a hostile value, it is on screen as the very same text.</summary>
    private async Task ExpectHostileTextAsync(IPage page, string persona, string route, Seeded seeded)
    {
        bool platform = persona == "Platform admin";
        bool admin = platform || persona.StartsWith("Customer admin");
        bool support = persona.StartsWith("Support");
        var main = page.Locator(".mud-main-content");
        switch (route)
        {
            case "/customers" when platform:
                await Expect(main.GetByText(CustomerName, new() { Exact = true })).ToBeVisibleAsync();
                break;
            case "/customers/domains" when platform:
                // The platform admin chooses among every customer, the hostile one included.
                await Expect(main.GetByText(CustomerName, new() { Exact = true })).ToBeVisibleAsync();
                break;
            case "/sites" when admin:
                await Expect(main.GetByText(SiteName, new() { Exact = true })).ToBeVisibleAsync();
                break;
            case var search when search.StartsWith("/users?q=") && (admin || support):
                await Expect(main.GetByRole(AriaRole.Link, new() { Name = UserName, Exact = true })).ToBeVisibleAsync();
                break;
            case "/users/migration" when admin || support:
                // The chart's axis label and the table both show the site's name as text.
                await Expect(main.Locator(".mud-charts-xaxis text").Filter(new() { HasText = SiteName })).ToHaveCountAsync(1);
                await Expect(main.GetByRole(AriaRole.Cell, new() { Name = SiteName, Exact = true })).ToBeVisibleAsync();
                break;
            case var detail when detail == $"/users/{seeded.User}" && (admin || support):
                await Expect(main.GetByTestId("sync-error")).ToHaveTextAsync(SyncError); // shown as text (the History shows it too, as a diff line)
                await Expect(main.GetByText(Subject).First).ToBeVisibleAsync(); // the identity's subject; the History shows it again
                break;
            case "/posts" when !support:
                await Expect(main.GetByRole(AriaRole.Link, new() { Name = PostTitle, Exact = true })).ToBeVisibleAsync();
                break;
            case var editor when editor == $"/posts/{seeded.Post}" && !support:
                await ExpectSafePreviewAsync(page);
                break;
            case "/identity-providers" when admin:
                await Expect(main.GetByRole(AriaRole.Link, new() { Name = ProviderName, Exact = true })).ToBeVisibleAsync();
                await Expect(main.GetByRole(AriaRole.Link, new() { Name = BrokenProviderName, Exact = true })).ToBeVisibleAsync();
                break;
            case var provider when provider == $"/identity-providers/{seeded.BrokenProvider}" && admin:
                await Expect(main.GetByLabel("Authority (issuer)", new() { Exact = true })).ToHaveValueAsync(JavaScriptUrl);
                break;
            case "/audit" when admin:
                // The changes column shows the hostile values written above, one "field: old → new" line each, as text.
                await Expect(main.Locator("[data-testid=audit-changes] li").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^title: ") }).Filter(new() { HasTextString = PostTitle }).First).ToBeVisibleAsync();
                await Expect(main.Locator("[data-testid=audit-changes] li").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^external_subject: ") }).Filter(new() { HasTextString = Subject }).First).ToBeVisibleAsync();
                break;
        }
    }

    /// <summary>The editor's preview: no form, no field, no button, no overlay; links without a referrer; no image fetched.</summary>
    private static async Task ExpectSafePreviewAsync(IPage page)
    {
        var preview = page.GetByTestId("preview");
        await Expect(preview.Locator("h1")).ToContainTextAsync("Release " + Img);
        await Expect(preview.Locator("form, input, button, textarea, select, iframe, img, script, svg, style")).ToHaveCountAsync(0);
        int positioned = await preview.EvaluateAsync<int>(
            "root => [...root.querySelectorAll('*')].filter(e => ['fixed', 'absolute', 'sticky'].includes(getComputedStyle(e).position)).length");
        Assert.Equal(0, positioned);
        await Expect(preview.GetByRole(AriaRole.Link, new() { Name = "that" })).ToHaveAttributeAsync("rel", PostMarkdown.LinkRel);
        await Expect(preview.Locator("a", new() { HasTextString = "this" })).Not.ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("."));
        await Expect(preview.Locator("[data-image-placeholder]")).ToHaveTextAsync("Image not loaded in the preview: tracking pixel");
        // The overlay is gone: the editor's own Save button is what a click in the middle of the page reaches.
        var box = page.ViewportSize!;
        string topmost = await page.EvaluateAsync<string>($"() => document.elementFromPoint({box.Width / 2}, {box.Height / 2})?.closest('[data-testid=preview]') ? 'preview' : 'page'");
        Assert.Equal("page", topmost);
    }

    private async Task<IPage> NewWatchedPageAsync(string who, ConcurrentQueue<string> problems)
    {
        var page = await server.Browser.NewPageAsync();
        Watch(page, who, problems);
        return page;
    }

    /// <summary>Any dialog, page error, payload request or console message about the payload is a script that ran.</summary>
    private static void Watch(IPage page, string who, ConcurrentQueue<string> problems)
    {
        page.Dialog += async (_, dialog) =>
        {
            problems.Enqueue($"{who}: a {dialog.Type} dialog opened: {dialog.Message}");
            await dialog.DismissAsync();
        };
        page.PageError += (_, error) => problems.Enqueue($"{who}: page error at {page.Url}: {error}");
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("__xss", StringComparison.Ordinal))
            {
                problems.Enqueue($"{who}: console at {page.Url}: {message.Text}");
            }
        };
        page.Request += (_, request) =>
        {
            // src=x: only a payload that became an element asks for it; and the preview never fetches a remote image.
            var url = new Uri(request.Url);
            if (url.AbsolutePath == "/x" || url.Host == "tracker.example")
            {
                problems.Enqueue($"{who}: the browser requested {request.Url} on {page.Url}");
            }
        };
    }

    private static async Task AssertNoScriptRanAsync(IPage page, string where, ConcurrentQueue<string> problems)
    {
        if (!await page.EvaluateAsync<bool>("() => window.__xss === undefined"))
        {
            problems.Enqueue($"window.__xss was set on {where}");
        }

        Assert.True(problems.IsEmpty, string.Join("\n", problems));
    }

    /// <summary>Waits until the page's data has loaded (no loading bar), so that what a tenant wrote is on screen.</summary>
    private static async Task SettleAsync(IPage page)
    {
        await Expect(page.Locator("[aria-label^='Loading'], [aria-label='Counting users'], [aria-label='Reading the database catalog']")).ToHaveCountAsync(0, new() { Timeout = 15_000 });
        // Give a deferred render (a chart measuring itself, a payload's onerror) the chance to happen.
        await page.WaitForTimeoutAsync(150);
    }
}
