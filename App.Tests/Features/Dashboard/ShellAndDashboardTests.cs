using System.Security.Claims;
using AdminPortal.App.Components.Layout;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Dashboard;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace AdminPortal.Tests.Features.Dashboard;

/// <summary>The shell and the dashboard, rendered with real MudBlazor components over a real seeded SQLite database.</summary>
public sealed class ShellAndDashboardTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;
    private BunitAuthorizationContext authorization = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<AdminPortal.App.Components.Shared.UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<DashboardService>();
        AdminPortal.App.Features.Reports.ReportsSetup.AddReports(Services, background: false);
        Services.AddScoped<TenantSwitchService>();
        Services.AddScoped<LastingTenantSwitch>();
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        authorization = AddAuthorization();
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    private IRenderedComponent<MainLayout> RenderShellWithDashboard(params (string Type, string Value)[] claims)
    {
        authorization.SetAuthorized("Test admin");
        authorization.SetClaims(claims.Select(c => new Claim(c.Type, c.Value)).ToArray());
        // bUnit checks policies by name only; the real policies are tested against IAuthorizationService elsewhere.
        string role = claims.First(c => c.Type == PortalClaimTypes.Role).Value;
        authorization.SetPolicies(App.Auth.PortalPolicies.Roles.Where(p => p.Value.Any(r => r.ToString() == role)).Select(p => p.Key).ToArray());
        RenderFragment body = builder =>
        {
            builder.OpenComponent<DashboardPage>(0);
            builder.CloseComponent();
        };
        return Render<MainLayout>(parameters => parameters.Add(layout => layout.Body, body));
    }

    [Fact]
    public async Task Render_PlatformAdmin_ShowsTheShellAndTheDatabasesCounts()
    {
        int failed;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            failed = await context.Db.Users.CountAsync(u => u.SyncStatus == App.Features.Users.SyncStatus.Failed);
        }

        var shell = RenderShellWithDashboard((PortalClaimTypes.Role, PortalRoles.PlatformAdmin));

        shell.WaitForAssertion(() => Assert.Equal("40", shell.Find("[data-stat=Users]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Equal("2", shell.Find("[data-stat=Customers]").TextContent.Trim());
        Assert.Equal("3", shell.Find("[data-stat=Sites]").TextContent.Trim());
        Assert.Contains(failed.ToString(), shell.Find("[data-sync-status=Failed]").TextContent);
        Assert.Contains("AdminPortal", shell.Find("header").TextContent);
        Assert.NotNull(shell.Find("header .tenant-switcher"));
        Assert.Contains("Dashboard", shell.Find("nav").TextContent);
        Assert.NotEmpty(shell.FindAll(".mud-chart"));
    }

    [Fact]
    public async Task Render_CustomerAdmin_ShowsOnlyTheirTenantsCounts()
    {
        long fabrikam;
        int fabrikamUsers;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            fabrikam = await context.Db.Customers.Where(c => c.Slug == "fabrikam").Select(c => c.Id).SingleAsync();
            fabrikamUsers = await context.Db.Users.CountAsync(u => u.CustomerId == fabrikam);
        }

        var shell = RenderShellWithDashboard((PortalClaimTypes.Role, PortalRoles.CustomerAdmin), (PortalClaimTypes.CustomerId, fabrikam.ToString()), (PortalClaimTypes.CustomerName, "Fabrikam Publishing"));

        shell.WaitForAssertion(() => Assert.Equal(fabrikamUsers.ToString(), shell.Find("[data-stat=Users]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Equal("1", shell.Find("[data-stat=Customers]").TextContent.Trim());
        Assert.Equal("Fabrikam Publishing", shell.Find("[data-testid=tenant]").TextContent.Trim());
        Assert.Empty(shell.FindAll(".tenant-switcher"));
    }

    [Theory]
    [InlineData(PortalRoles.CustomerAdmin)]
    [InlineData(PortalRoles.PlatformAdmin)]
    public async Task AppBar_IsMarkup_NotAComponentPerControl(string role)
    {
        long customer;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            customer = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        var shell = RenderShellWithDashboard((PortalClaimTypes.Role, role), (PortalClaimTypes.CustomerId, customer.ToString()));
        shell.WaitForAssertion(() => Assert.NotNull(shell.Find("[data-testid=user-name]")), TimeSpan.FromSeconds(10));

        // The app bar lives as long as the circuit, and each component in it costs every circuit a few KB
        // (docs/performance.md, "Fifth round"): on integ it held 3 AuthorizeViews, 4 MudIconButtons, 3 MudTexts,
        // a MudSpacer, a MudChip, a MudAppBar and a MudToolBar, each with its MudIcon.
        var chrome = shell.FindComponent<PortalChrome>();
        Assert.Empty(chrome.FindComponents<Microsoft.AspNetCore.Components.Authorization.AuthorizeView>());
        Assert.Empty(chrome.FindComponents<MudBlazor.MudText>());
        Assert.Empty(chrome.FindComponents<MudBlazor.MudSpacer>());
        Assert.Empty(chrome.FindComponents<MudBlazor.MudChip<string>>());
        Assert.Empty(chrome.FindComponents<MudBlazor.MudAppBar>());
        // The phone's account menu is still MudMenu, whose activator is the one MudIconButton left.
        Assert.Single(chrome.FindComponents<MudBlazor.MudIconButton>());
        Assert.Empty(shell.FindComponents<MudBlazor.MudMainContent>());
        Assert.Empty(shell.FindComponents<MudBlazor.MudContainer>());

        // The same controls, names and titles as before, as real buttons and a link.
        var header = shell.Find("header.mud-appbar");
        Assert.Equal("button", header.QuerySelector("[aria-label='Toggle navigation']")!.TagName.ToLowerInvariant());
        Assert.Equal("Switch to dark mode", header.QuerySelector("button[aria-label='Switch to dark mode']")!.GetAttribute("title"));
        Assert.Equal("/account/sessions", header.QuerySelector("a[aria-label='My sessions']")!.GetAttribute("href"));
        Assert.Equal("submit", header.QuerySelector("form[action='/signout'] button[aria-label='Sign out']")!.GetAttribute("type"));
        Assert.Equal("Test admin", shell.Find("[data-testid=user-name]").TextContent.Trim());
        Assert.Equal(role == PortalRoles.PlatformAdmin, header.QuerySelector(".tenant-switcher") is not null);
        Assert.Equal(role != PortalRoles.PlatformAdmin, header.QuerySelector("[data-testid=tenant]") is not null);
        Assert.NotNull(shell.Find("#main-content[role=main].mud-main-content"));
    }

    [Fact]
    public void DarkModeToggle_Click_SwitchesTheLabelBothWays()
    {
        var shell = RenderShellWithDashboard((PortalClaimTypes.Role, PortalRoles.PlatformAdmin));

        shell.Find("button[aria-label='Switch to dark mode']").Click();
        shell.WaitForAssertion(() => Assert.NotNull(shell.Find("button[aria-label='Switch to light mode']")));
        shell.Find("button[aria-label='Switch to light mode']").Click();

        shell.WaitForAssertion(() => Assert.NotNull(shell.Find("button[aria-label='Switch to dark mode']")));
    }
}
