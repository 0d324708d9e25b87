using System.Security.Claims;
using AdminPortal.App.Auth;
using AdminPortal.App.Components.Layout;
using AdminPortal.App.Components.Shared;
using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using AdminPortal.App.Tenancy;
using AdminPortal.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace AdminPortal.Tests.Components;

/// <summary>
/// The users grid's cells and the navigation render MudBlazor's markup without being MudBlazor components (each
/// component costs a circuit about 5 KB: docs/performance.md), and still work and read the same.
/// </summary>
public sealed class LightMarkupTests : BunitContext, IAsyncLifetime
{
    private TestDatabase database = null!;
    private long contoso;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateMigratedAsync(DatabaseProvider.Sqlite, seed: true);
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            contoso = await context.Db.Customers.Where(c => c.Slug == "contoso").Select(c => c.Id).SingleAsync();
        }

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddScoped<UserActions>();
        Services.AddPortalData(database.Options);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton<UserAccessService>();
        Services.AddSingleton<UserSyncNotifier>();
        Services.AddScoped<UserService>();
        Services.AddScoped<UserBulkService>();
        Services.AddSingleton<AdminPortal.App.Features.Sessions.PortalSessionService>();
        Services.AddSingleton(new SignInProviders());
        Services.AddScoped<AdminPortal.App.Features.ViewAs.ViewAsService>();
        Services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        var authorization = AddAuthorization();
        authorization.SetAuthorized("Support agent");
        authorization.SetClaims(new Claim(PortalClaimTypes.Role, PortalRoles.Support), new Claim(PortalClaimTypes.CustomerId, contoso.ToString()));
        authorization.SetPolicies(PortalPolicies.Roles.Where(p => p.Value.Contains(PortalRole.Support)).Select(p => p.Key).ToArray());
        SetRendererInfo(new RendererInfo("Server", true));
    }

    public new async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task UsersGrid_Rows_AreMarkupWithTheSameLabelsAndSelectionStillWorks()
    {
        User first;
        await using (var context = await database.ContextAsync(TenantScope.System()))
        {
            first = await context.Db.Users.AsNoTracking().Where(u => u.CustomerId == contoso).OrderBy(u => u.DisplayName).ThenBy(u => u.Id).FirstAsync();
        }

        Services.GetRequiredService<NavigationManager>().NavigateTo("/users?sort=Name");
        var grid = Render<UsersPage>();
        grid.WaitForAssertion(() => Assert.Equal(25, grid.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));

        // No component per row: on main each row held a MudCheckBox, a MudLink, a MudChip and two RelativeTimes.
        Assert.Empty(grid.FindComponents<MudCheckBox<bool>>());
        Assert.Empty(grid.FindComponents<MudLink>());
        Assert.Empty(grid.FindComponents<MudChip<string>>());
        Assert.Empty(grid.FindComponents<RelativeTime>());
        var row = grid.Find($"tr[data-user-id='{first.Id}']");
        var box = row.QuerySelector($"input[type=checkbox][aria-label='Select {first.DisplayName}']")!;
        Assert.NotNull(box);
        Assert.False(box.HasAttribute("disabled"));
        Assert.Equal($"/users/{first.Id}", row.QuerySelector("a.mud-link")!.GetAttribute("href"));
        Assert.Equal(first.DisplayName, row.QuerySelector("a.mud-link")!.TextContent);
        Assert.Equal(first.SyncStatus.ToString(), row.QuerySelector(".mud-chip .mud-chip-content")!.TextContent);
        Assert.Contains($"mud-chip-color-{UsersPage.SyncColor(first.SyncStatus).ToString().ToLowerInvariant()}", row.QuerySelector(".mud-chip")!.ClassName);

        box.Change(true);

        grid.WaitForAssertion(() => Assert.Contains("Selected (1)", grid.Markup));
        Assert.True(grid.Find($"tr[data-user-id='{first.Id}'] input[type=checkbox]").HasAttribute("checked"));
        grid.Find("input[aria-label='Select this page']").Change(true);
        grid.WaitForAssertion(() => Assert.Contains("Selected (25)", grid.Markup));
        grid.Find($"tr[data-user-id='{first.Id}'] label").KeyDown(new Microsoft.AspNetCore.Components.Web.KeyboardEventArgs { Key = "Delete" });
        grid.WaitForAssertion(() => Assert.Contains("Selected (24)", grid.Markup));
    }

    [Fact]
    public void UsersGrid_InsideAReadOnlyViewAs_RowCheckboxesAreDisabled()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/users");
        var frame = Render<CascadingValue<bool>>(parameters => parameters
            .Add(c => c.Name, "ParentDisabled")
            .Add(c => c.Value, true)
            .AddChildContent<UsersPage>());

        frame.WaitForAssertion(() => Assert.Equal(25, frame.FindAll("tr[data-user-id]").Count), TimeSpan.FromSeconds(10));
        var boxes = frame.FindAll("table input[type=checkbox]");
        Assert.Equal(26, boxes.Count);
        Assert.All(boxes, box => Assert.True(box.HasAttribute("disabled")));
        Assert.All(boxes, box => Assert.Equal("-1", box.GetAttribute("tabindex")));
    }

    [Fact]
    public void NavMenu_Support_ShowsTheirAreasAsOneComponentAndMarksTheCurrentOneOnAPageTurn()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/users");
        var menu = Render<NavMenu>();

        var links = menu.FindAll("nav[aria-label=Areas] a.mud-nav-link");
        Assert.Equal(["Dashboard", "Users"], links.Select(l => l.TextContent.Trim()).ToArray());
        Assert.Empty(menu.FindComponents<MudNavLink>());
        Assert.Empty(menu.FindComponents<Microsoft.AspNetCore.Components.Authorization.AuthorizeView>());
        var users = menu.Find("a[href='/users']");
        Assert.Contains("active", users.ClassList);
        Assert.Equal("page", users.GetAttribute("aria-current"));
        Assert.DoesNotContain("active", menu.Find("a[href='/']").ClassList);
        int renders = menu.RenderCount;

        navigation.NavigateTo("/users?after=abc");

        // A page turn (only the query changed) renders nothing; a user's detail page is still under Users.
        Assert.Equal(renders, menu.RenderCount);
        navigation.NavigateTo("/users/42");
        Assert.Contains("active", menu.Find("a[href='/users']").ClassList);
        navigation.NavigateTo("/");
        menu.WaitForAssertion(() => Assert.Contains("active", menu.Find("a[href='/']").ClassList));
        Assert.DoesNotContain("active", menu.Find("a[href='/users']").ClassList);
    }
}
