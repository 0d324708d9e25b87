using AdminPortal.App.Data;
using AdminPortal.App.Features.IdentityProviders;
using AdminPortal.App.Features.Posts;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// Two portal processes on one PostgreSQL database, as a fleet behind a load balancer: a change made through
/// instance B shows on instance A's open page within 2 s, without a reload.
/// </summary>
public sealed class TwoInstanceBrowserTests : IAsyncLifetime
{
    private const float Live = 2_000;

    private TestDatabase database = null!;
    private PortalProcess a = null!;
    private PortalProcess b = null!;
    private string urlA = "";
    private string urlB = "";
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Postgres, seed: true);
        (a, urlA) = Start("portal-a");
        (b, urlB) = Start("portal-b");
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        await a.WaitForAsync(client, urlA + "/health/live", TimeSpan.FromSeconds(180));
        await b.WaitForAsync(client, urlB + "/health/live", TimeSpan.FromSeconds(180));
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    private (PortalProcess Process, string Url) Start(string instance)
    {
        int port = PortalProcess.FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__Portal"] = database.Options.ConnectionString,
            ["Database__SeedDemoData"] = "false",
            ["Auth__DevIdentityProvider"] = "true",
            ["Observability__InstanceId"] = instance,
            // Only the change feed can carry a provider change within the test: the fallback poll is an hour away.
            ["IdentityProviders__RefreshInterval"] = "01:00:00",
            ["Sync__Interval"] = "00:10:00",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        return (PortalProcess.Start(environment, dotnetRun: false, "--urls", $"http://127.0.0.1:{port}"), $"http://127.0.0.1:{port}");
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        playwright?.Dispose();
        await a.DisposeAsync();
        await b.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>Signs in on one instance, in a browser context of its own (its own cookies), as the platform admin.</summary>
    private async Task<IPage> SignInAsync(string baseUrl)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        // Sign-in goes through the development provider on the same instance (a form post, then the code exchange);
        // in the CI run under load that took longer than Playwright's default 30 s. The live checks keep their own
        // explicit 2 s limit (Live).
        context.SetDefaultTimeout(120_000);
        context.SetDefaultNavigationTimeout(120_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(baseUrl + "/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Development sign-in (OpenID Connect)" }).ClickAsync();
        await page.GetByRole(AriaRole.Button).Filter(new() { HasText = "Platform admin" }).First.ClickAsync();
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
        return page;
    }

    /// <summary>Opens a page and waits for its circuit: prerendered markup neither takes clicks nor updates live.</summary>
    private static async Task GoAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
    }

    private async Task<T> QueryAsync<T>(Func<PortalDbContext, Task<T>> query)
    {
        await using var context = await database.ContextAsync(TenantScope.System());
        return await query(context.Db);
    }

    [Fact]
    public async Task UserLockedOnB_ShowsLockedOnAsOpenGridWithinTwoSeconds()
    {
        var user = await QueryAsync(db => db.Users.AsNoTracking()
            .Where(u => u.Customer!.Slug == "contoso" && u.IsActive && !u.IsLocked && u.InvitedAt == null && u.PortalRole == null)
            .OrderBy(u => u.Id).FirstAsync());
        var onA = await SignInAsync(urlA);
        await GoAsync(onA, $"{urlA}/users?q={Uri.EscapeDataString(user.Email)}");
        var row = onA.Locator($"tr[data-user-id='{user.Id}']");
        await Expect(row).ToContainTextAsync("Active", new() { Timeout = 90_000 });

        var onB = await SignInAsync(urlB);
        await GoAsync(onB, $"{urlB}/users/{user.Id}");
        await onB.GetByRole(AriaRole.Button, new() { Name = "Lock", Exact = true }).ClickAsync();
        await onB.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Lock", Exact = true }).ClickAsync();
        await Expect(onB.GetByTestId("user-state")).ToHaveTextAsync("Locked", new() { Timeout = 90_000 });

        await Expect(row).ToContainTextAsync("Locked", new() { Timeout = Live });
        Assert.True(await QueryAsync(db => db.Users.Where(u => u.Id == user.Id).Select(u => u.IsLocked).SingleAsync()));
    }

    [Fact]
    public async Task PostPublishedOnB_LeavesAsDraftsTabAndShowsUnderPublishedWithinTwoSeconds()
    {
        var post = await QueryAsync(db => db.Posts.AsNoTracking().Where(p => p.Status == PostStatus.Draft).OrderByDescending(p => p.UpdatedAt).FirstAsync());
        var onA = await SignInAsync(urlA);
        await GoAsync(onA, $"{urlA}/posts?q={Uri.EscapeDataString(post.Title)}");
        var row = onA.Locator($"tr[data-post-id='{post.Id}']");
        await Expect(row).ToContainTextAsync("Draft", new() { Timeout = 90_000 });
        var publishedTab = onA.Locator("[data-tab=Published]");
        string publishedBefore = await publishedTab.InnerTextAsync();

        var onB = await SignInAsync(urlB);
        await GoAsync(onB, $"{urlB}/posts/{post.Id}");
        await onB.GetByRole(AriaRole.Button, new() { Name = "Publish now" }).ClickAsync();
        await Expect(onB.GetByText("Published.")).ToBeVisibleAsync(new() { Timeout = 90_000 });

        await Expect(row).ToHaveCountAsync(0, new() { Timeout = Live });
        await Expect(publishedTab).Not.ToHaveTextAsync(publishedBefore, new() { Timeout = Live });
        Assert.Equal(PostStatus.Published, await QueryAsync(db => db.Posts.Where(p => p.Id == post.Id).Select(p => p.Status).SingleAsync()));
    }

    [Fact]
    public async Task ProviderEnabledThenDisabledOnB_ShowsOnAsGridAndSignInWithinTwoSeconds()
    {
        var onA = await SignInAsync(urlA);
        await GoAsync(onA, urlA + "/identity-providers");
        var row = onA.Locator("[data-provider='Fabrikam Keycloak']");
        await Expect(row).ToContainTextAsync("Disabled", new() { Timeout = 90_000 });
        var signInOnA = await (await browser.NewContextAsync()).NewPageAsync();
        var keycloakButton = signInOnA.GetByRole(AriaRole.Link, new() { Name = "Fabrikam Keycloak" });

        var onB = await SignInAsync(urlB);
        long id = await QueryAsync(db => db.CiamSystems.Where(c => c.Name == "Fabrikam Keycloak").Select(c => c.Id).SingleAsync());
        await GoAsync(onB, $"{urlB}/identity-providers/{id}");
        await onB.GetByRole(AriaRole.Switch).CheckAsync();
        await onB.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(onB.GetByTestId("provider-status")).ToContainTextAsync("Offered at sign-in.", new() { Timeout = 90_000 });

        await Expect(row).Not.ToContainTextAsync("Disabled", new() { Timeout = Live });
        await signInOnA.GotoAsync(urlA + "/signin");
        await Expect(keycloakButton).ToHaveCountAsync(1, new() { Timeout = Live });

        await onB.GetByRole(AriaRole.Switch).UncheckAsync();
        await onB.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(onB.GetByTestId("provider-status")).ToContainTextAsync("Disabled", new() { Timeout = 90_000 });

        await Expect(row).ToContainTextAsync("Disabled", new() { Timeout = Live });
        await signInOnA.ReloadAsync();
        await Expect(keycloakButton).ToHaveCountAsync(0, new() { Timeout = Live });
    }
}
